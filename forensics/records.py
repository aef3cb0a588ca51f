"""Typed immutable records that cost little to define: the capture model and what a capture's path builds.

A frozen slotted dataclass costs 1-2 ms to *define* (dataclasses compiles each of its methods on its own, then
builds the class a second time for the slots), and importing dataclasses imports inspect: on a 5-thread
capture that was about half of hangdump's own 80 ms. ``@record`` builds the slotted class once and compiles
one ``__init__``; equality, hashing, ordering and repr are shared functions reading the fields through one
``operator.attrgetter``. Records behave as frozen slotted dataclasses do (positional or keyword fields in order,
defaults, ``field(default_factory=..., compare=False, repr=False)``, equality and hash by value, ``order=True``, assignment
refused with ``dataclasses.FrozenInstanceError``), and to the dataclasses module they are dataclasses:
``__dataclass_fields__`` is made from an equivalent dataclass the first time something asks for it
(``dataclasses.replace``, ``fields``, ``asdict``), never on a capture's path, which uses ``replace`` here.
Not supported, and refused where it could pass unnoticed: ``ClassVar`` fields, ``__post_init__``, inheriting
from a record.
"""
from __future__ import annotations

import operator
import sys
from _collections import _tuplegetter  # what namedtuple's fields are

from forensics import templates

TYPE_CHECKING = False  # what typing.TYPE_CHECKING is at run time; typing costs a capture ~5 ms to import
if TYPE_CHECKING:
    from typing import Any, TypeVar

    T = TypeVar("T")

_MISSING = object()


class _Field:
    """What ``field()`` gives in a record's class body."""

    __slots__ = ("compare", "default", "default_factory", "repr")

    def __init__(self, default: Any, default_factory: Any, compare: bool, repr: bool = True) -> None:
        self.default, self.default_factory, self.compare, self.repr = default, default_factory, compare, repr


def field(*, default: Any = _MISSING, default_factory: Any = _MISSING, compare: bool = True, repr: bool = True,
          hash: bool | None = None) -> Any:
    """As ``dataclasses.field``, for the options records know: a record hashes the fields it compares."""
    if default is not _MISSING and default_factory is not _MISSING:
        raise ValueError("cannot specify both default and default_factory")
    if hash is not None and hash != compare:
        raise ValueError("a record hashes exactly the fields it compares")
    return _Field(default, default_factory, compare, repr)


def record(cls: type[T] | None = None, *, order: bool = False) -> Any:
    """``@record`` (or ``@record(order=True)``): ``cls`` as a frozen slotted record of its annotated fields."""
    if cls is None:
        return lambda c: _build(c, order)
    return _build(cls, order)


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of ``obj`` with ``changes``: ``dataclasses.replace``, which for a record (the capture's path) needs
    no import of dataclasses."""
    kind = type(obj)
    names = field_names(kind)
    if names is None:
        import dataclasses

        return dataclasses.replace(obj, **changes)
    for name in names:
        if name not in changes:
            changes[name] = getattr(obj, name)
    return kind(**changes)


def tuple_type(name: str, fields: str) -> type:
    """What ``collections.namedtuple(name, fields)`` makes, as far as hangdump uses one (fields by name and position,
    repr, ``_replace``, equality and hash as tuples, pickling), without compiling its ``__new__`` (see ``templates.py``)."""
    names = tuple(fields.split())
    ns: dict[str, Any] = {
        "__module__": sys._getframe(1).f_globals.get("__name__", "__main__"), "__slots__": (), "_fields": names, "__match_args__": names, "__repr__": _tuple_repr, "_replace": _tuple_replace,
        "__getnewargs__": _tuple_args, "__new__": from_template("t", names, {"_t": tuple.__new__}, (), f"{name}.__new__"),
    }
    for i, field_name in enumerate(names):
        ns[field_name] = _tuplegetter(i, f"Alias for field number {i}")
    return type(name, (tuple,), ns)


def _tuple_args(self: Any) -> tuple:
    return tuple(self)


def _tuple_replace(self: Any, /, **changes: Any) -> Any:
    made = type(self)(*(changes.pop(n, v) for n, v in zip(self._fields, self, strict=True)))
    if changes:
        raise ValueError(f"Got unexpected field names: {list(changes)!r}")
    return made


def _tuple_repr(self: Any) -> str:
    return f"{type(self).__name__}({', '.join(f'{n}={v!r}' for n, v in zip(self._fields, self, strict=True))})"


def field_names(kind: type) -> tuple[str, ...] | None:
    """The fields of a record class in order; None for any other class."""
    return kind.__dict__.get("__record_fields__") if isinstance(kind, type) else None


def _build(cls: type, order: bool) -> type:
    ns = dict(cls.__dict__)
    if any("__record_fields__" in vars(base) for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: a record cannot inherit from a record")
    if "__post_init__" in ns:
        raise TypeError(f"{cls.__name__}: records have no __post_init__")
    annotations = ns.get("__annotations__", {})
    names = tuple(annotations)
    specs: dict[str, _Field] = {}
    for name in names:
        if "ClassVar" in str(annotations[name]):
            raise TypeError(f"{cls.__name__}.{name}: records have no ClassVar fields")
        value = ns.pop(name, _MISSING)
        specs[name] = value if isinstance(value, _Field) else _Field(value, _MISSING, True)
    for name in ("__dict__", "__weakref__"):
        ns.pop(name, None)
    ns["__slots__"] = names
    ns["__qualname__"] = cls.__qualname__
    ns["__record_fields__"] = names
    ns["__match_args__"] = names
    compared = tuple(n for n in names if specs[n].compare)
    ns["_record_key"] = staticmethod(_getter(compared))
    ns["_record_shown"] = tuple(n for n in names if specs[n].repr)
    ns["__init__"] = _init(cls, names, specs)
    ns.update(__repr__=_repr, __eq__=_eq, __hash__=_hash, __setattr__=_frozen, __delattr__=_frozen)
    if order:
        ns.update(__lt__=_compare(operator.lt), __le__=_compare(operator.le), __gt__=_compare(operator.gt),
                  __ge__=_compare(operator.ge))
    ns["__dataclass_fields__"] = _AsDataclass(specs)
    return type(cls)(cls.__name__, cls.__bases__, ns)


def _getter(names: tuple[str, ...]) -> Any:
    """The values of ``names`` as a tuple (attrgetter gives a bare value for one name, and takes no zero)."""
    if len(names) > 1:
        return operator.attrgetter(*names)
    if names:
        one = operator.attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _init(cls: type, names: tuple[str, ...], specs: dict[str, _Field]) -> Any:
    """``__init__`` for the class: its fields in order, each set once; a field with a default factory defaults to
    _MISSING, which calls it. Made from the template of its arity (``templates.py``): nothing is compiled."""
    scope: dict[str, Any] = {"_s": object.__setattr__, "_M": _MISSING}
    defaults = []
    for k, name in enumerate(names):
        spec = specs[name]
        if spec.default_factory is not _MISSING:
            scope[f"_f{k}"] = spec.default_factory
            defaults.append(_MISSING)
        elif spec.default is not _MISSING:
            defaults.append(spec.default)
        elif defaults:
            raise TypeError(f"{cls.__name__}: non-default argument {name!r} follows default argument")
    return from_template("i", names, scope, tuple(defaults), f"{cls.__qualname__}.__init__")


def from_template(kind: str, names: tuple[str, ...], scope: dict[str, Any], defaults: tuple,
                  qualname: str) -> Any:
    """The function ``templates.<kind><len(names)>`` with its parameters and their name constants renamed to
    ``names``, ``scope`` as its globals and ``defaults`` for its last parameters."""
    template = getattr(templates, f"{kind}{len(names)}", None)
    if template is None:
        raise TypeError(f"{qualname}: at most {templates.MAX_FIELDS} fields (more: raise MAX in tests/unit/test_templates.py)")
    code = template.__code__
    renamed = {f"a{k}": name for k, name in enumerate(names)}
    changes: dict[str, Any] = {
        "co_varnames": tuple(renamed.get(v, v) for v in code.co_varnames),
        "co_consts": tuple(renamed.get(c, c) if type(c) is str else c for c in code.co_consts),
        "co_name": qualname.rpartition(".")[2],
    }
    if hasattr(code, "co_qualname"):  # 3.11+
        changes["co_qualname"] = qualname
    function = type(template)(code.replace(**changes), scope, changes["co_name"], defaults or None)
    function.__qualname__ = qualname
    return function


def _repr(self: Any) -> str:
    kind = type(self)
    return f"{kind.__qualname__}({', '.join(f'{n}={getattr(self, n)!r}' for n in kind._record_shown)})"


def _eq(self: Any, other: Any) -> Any:
    if type(other) is not type(self):
        return NotImplemented
    return self is other or self._record_key(self) == other._record_key(other)


def _hash(self: Any) -> int:
    return hash(self._record_key(self))


def _compare(op: Any) -> Any:
    def compare(self: Any, other: Any) -> Any:
        if type(other) is not type(self):
            return NotImplemented
        return op(self._record_key(self), other._record_key(other))
    return compare


def _frozen(self: Any, name: str, value: Any = None) -> None:
    import dataclasses

    raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")


class _AsDataclass:
    """A record's ``__dataclass_fields__``, taken from an equivalent frozen dataclass on first use."""

    def __init__(self, specs: dict[str, _Field]) -> None:
        self.specs = specs

    def __get__(self, obj: Any, owner: type) -> dict:
        import dataclasses

        fields = []
        for name, spec in self.specs.items():
            options: dict[str, Any] = {"compare": spec.compare, "repr": spec.repr}
            if spec.default_factory is not _MISSING:
                options["default_factory"] = spec.default_factory
            elif spec.default is not _MISSING:
                options["default"] = spec.default
            fields.append((name, owner.__annotations__[name], dataclasses.field(**options)))
        twin = dataclasses.make_dataclass(owner.__name__, fields, frozen=True,
                                          namespace={"__module__": owner.__module__})
        made = twin.__dataclass_fields__
        type.__setattr__(owner, "__dataclass_fields__", made)
        return made


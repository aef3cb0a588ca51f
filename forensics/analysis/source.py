"""What locks a frame holds and waits for, read from its source file with ``ast``.

For a frame stopped at ``line`` of ``file``: the ``with X:`` statements whose body encloses the
line, and the ``X.acquire()`` calls earlier in the enclosing blocks with no ``X.release()``
after them, are held; a ``with X:`` or ``X.acquire()`` *on* the line is what the frame waits
for. Files that cannot be read (captured elsewhere, deployed away) give ``readable=False``,
recorded in the verdict's evidence, never an error. Parses are cached per (path, mtime, size).

Each lock expression also gets an *identity* (``LockFacts.ident``), what makes two threads'
``self._lock`` the same lock or not:

* ``self.X`` / ``cls.X`` in a method of class ``C`` -> ``C.X`` (``Inventory._lock`` and
  ``Orders._lock`` are different locks, even if both are spelled ``self._lock``);
* a module-level name -> the name;
* an expression rooted in a parameter or a local variable (``src.lock``, ``first``) -> ``""``:
  an *alias*, whose lock depends on the arguments; two threads in ``transfer(src, dst)`` hold
  different locks under one name.

A context manager is a lock only when something says so: the call that makes it (``threading.Lock()``:
only calls whose name says lock, semaphore, condition or mutex count, never ``sqlite3.connect(...)`` or
``open(...)``), or, when it is made elsewhere, its name (``self._lock``, ``cache_mutex``); a parameter
(``with first:`` in ``_take_pair(first, second)``) may be a lock and is taken for one; a click context
(``with ctx:``) or a file is not.
"""
from __future__ import annotations

import os
import re

from forensics import lazy
from forensics.records import field, record

ast = lazy.module("ast", globals())  # imported by the first parse: a capture whose sources are not here needs none

_MAX_SOURCE = 4 << 20


@record
class LockFacts:
    """What the source line of a blocking frame says about locks: the ones held there and the one it waits for."""

    readable: bool
    holds: tuple[tuple[str, int], ...] = ()  # (expression, line where it was taken)
    waits_for: str | None = None
    statement: str | None = None  # the source line, stripped
    # the line calls a multiplexer with no timeout (``select.select(r, w, x)``, ``selector.select()``) outside any loop
    # of its function: a wait for one reply, not an event loop (which selects again and again)
    selects_once: str | None = None  # that call, as written
    # how a thread's stop reaches it: the names the tests of the `while` loops around the line read (`_stopping` of
    # `while not self._stopping:`), the object the line waits on ("get:inbox" for `self.inbox.get()`, "wait:_wake"),
    # and, on a line that joins, what its function did to stop the thread: the names it assigned or set() before the
    # line, and the objects it wakes anywhere ("put:inbox", "set:_wake", "notify:cond")
    loop_flags: tuple[str, ...] = ()
    waits_on: str | None = None
    stops: tuple[str, ...] = ()
    wakes: tuple[str, ...] = ()
    # on a line that joins: the Events and queues its function made and handed to no one but the threads it started
    # ((target function, its parameter, the local): `Thread(target=track, args=(done,))` of `def track(latch)` ->
    # ("track", "latch", "done"))
    hands: tuple[tuple[str, str, str], ...] = ()
    # the line waits on an Event its function made and never lets out (`stop = threading.Event()`, then only
    # `stop.wait()`): nothing else can reach it to set it, the keep-alive idiom of `threading.Event().wait()`
    parks: bool = False
    ident: dict[str, str] = field(default_factory=dict, compare=False)  # expression -> identity ("" = an alias)


_TREES: dict[tuple, tuple[ast.Module | None, list[str]]] = {}


def _tree(path: str) -> tuple[ast.Module | None, list[str]]:
    try:
        st = os.stat(path)
    except OSError:
        return None, []
    key = (path, st.st_mtime_ns, st.st_size)
    hit = _TREES.get(key)
    if hit is not None:
        return hit
    tree: ast.Module | None = None
    lines: list[str] = []
    if st.st_size <= _MAX_SOURCE:
        try:
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8", "replace")
            lines = text.splitlines()
            tree = ast.parse(text, filename=path)
        except (OSError, SyntaxError, ValueError, RecursionError):
            tree = None
    if len(_TREES) > 256:
        _TREES.clear()
    _TREES[key] = (tree, lines)
    return tree, lines


def _text(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except (AttributeError, ValueError, RecursionError):
        return "?"


def _lock_call(node: ast.AST, method: str) -> str | None:
    """``X.acquire()`` (possibly with arguments) -> ``X``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method:
        return _text(node.func.value)
    return None


_LOCKISH = lazy.compile(r"lock|sem|cond|mutex|\bcv\b|_cv|slots", re.IGNORECASE)


def _root(node: ast.AST) -> tuple[str | None, list[str]]:
    """``self.a.b`` -> ("self", ["a", "b"]); anything but a name/attribute chain -> (None, [])."""
    attrs: list[str] = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return node.id, attrs[::-1]
    return None, []


def _assigned(scope: list[ast.stmt], target: str) -> list[ast.expr]:
    """Values assigned to ``target`` (source text of a name or ``self.x``) anywhere in ``scope``."""
    out = []
    for stmt in scope:
        for node in ast.walk(stmt):
            if isinstance(node, ast.Assign):
                if any(_text(t) == target for t in node.targets):
                    out.append(node.value)
            elif isinstance(node, ast.AnnAssign) and node.value is not None and _text(node.target) == target:
                out.append(node.value)
    return out


def _local_names(func: ast.AST) -> set[str]:
    args = func.args  # type: ignore[attr-defined]
    names = {a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]}
    names |= {a.arg for a in (args.vararg, args.kwarg) if a is not None}
    for node in ast.walk(func):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _parameter(func: ast.AST, name: str) -> tuple[bool, ast.expr | None]:
    """Whether ``name`` is a parameter of ``func``, and its type annotation (None: not annotated)."""
    args = func.args  # type: ignore[attr-defined]
    for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
        if a is not None and a.arg == name:
            return True, a.annotation
    return False, None


def _identity(expr: ast.AST, cls: ast.ClassDef | None, func: ast.AST | None) -> str:
    root, attrs = _root(expr)
    if root is None:
        return ""
    if root in ("self", "cls") and cls is not None and attrs:
        return f"{cls.name}.{'.'.join(attrs)}"
    if func is not None and root in _local_names(func):
        return ""
    return _text(expr)


def _is_lock(expr: ast.AST, tree: ast.Module, cls: ast.ClassDef | None, func: ast.AST | None) -> bool:
    """False when the code visibly makes this context manager with something that is not a lock."""
    if isinstance(expr, ast.Call):
        return bool(_LOCKISH.search(_text(expr.func)))
    root, attrs = _root(expr)
    if root is None:
        return True
    text = _text(expr)
    scope: list[ast.stmt] = []
    if root in ("self", "cls") and cls is not None:
        scope = cls.body
    elif func is not None and root in _local_names(func):
        scope = func.body  # type: ignore[attr-defined]
    elif not attrs:
        scope = [s for s in tree.body if isinstance(s, (ast.Assign, ast.AnnAssign))]
    values = _assigned(scope, text) if scope else []
    calls = [v for v in values if isinstance(v, ast.Call)]
    named = bool(_LOCKISH.search(text))
    if not values:
        # made elsewhere: a lock if its name says so, or if it is a parameter (transfer(src, dst): `with first:`,
        # which lock depends on the caller) whose annotation, if any, names a lock type (click's
        # `invoke(self, ctx: Context)`: `with ctx:` is a context); never a context or a file by default
        param, hint = _parameter(func, root) if func is not None and not named else (False, None)
        return named or (param and (hint is None or bool(_LOCKISH.search(_text(hint)))))
    if len(calls) < len(values):
        return named  # also assigned from something that is not a call (`ctx = self`): only its name can tell
    return any(_LOCKISH.search(_text(v.func)) for v in calls)


def _bodies(stmt: ast.stmt) -> list[list[ast.stmt]]:
    out = []
    for name in ("body", "orelse", "finalbody"):
        b = getattr(stmt, name, None)
        if isinstance(b, list) and b and isinstance(b[0], ast.stmt):
            out.append(b)
    for h in getattr(stmt, "handlers", None) or ():
        out.append(h.body)
    for c in getattr(stmt, "cases", None) or ():
        out.append(c.body)
    return out


def _is_none(e: ast.expr) -> bool:
    return isinstance(e, ast.Constant) and e.value is None


def _selects_forever(node: ast.AST) -> bool:
    """``select.select(r, w, x)`` or ``<selector>.select()``, with no timeout (or ``None``): only an fd ends it."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "select"):
        return False
    timeout = [k.value for k in node.keywords if k.arg == "timeout"]
    if timeout:
        return _is_none(timeout[0])
    fixed = 3 if isinstance(node.func.value, ast.Name) and node.func.value.id == "select" else 0
    return len(node.args) == fixed or (len(node.args) == fixed + 1 and _is_none(node.args[fixed]))


def _last(node: ast.AST) -> str | None:
    """The name an object goes by: ``self.inbox`` and ``writer.inbox`` -> "inbox", ``stop`` -> "stop"."""
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else None


def _flags(test: ast.expr) -> set[str]:
    return {n for n in (_last(x) for x in ast.walk(test)) if n and n not in ("self", "cls")}


def _exit_tests(loop: ast.While | ast.For | ast.AsyncFor) -> set[str]:
    """The names a loop's own exits test: its `while` condition, and the `if` tests in its body (not in a loop or a
    function nested in it) whose branch breaks or returns (`while True: ... if self.stopping: break`)."""
    names = _flags(loop.test) if isinstance(loop, ast.While) else set()
    todo = list(loop.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.While, ast.For, ast.AsyncFor, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.If) and any(isinstance(b, (ast.Break, ast.Return)) for b in node.body):
            names |= _flags(node.test)
        todo.extend(c for body in _bodies(node) for c in body)
    return names


# the calls that wake a thread waiting on an object, by the wait they end: put() a get(), set()/notify() a wait()
_WAKES = {"put": "get", "put_nowait": "get", "set": "wait", "notify": "wait", "notify_all": "wait"}


def _call_on(node: ast.AST, methods) -> tuple[str, str] | None:
    """``x.inbox.put(item)`` -> ("put", "inbox") for a method in ``methods`` (set() only with no argument)."""
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in methods):
        return None
    if node.func.attr == "set" and (node.args or node.keywords):
        return None  # a cache's or a client's set(key, value)
    name = _last(node.func.value)
    return (node.func.attr, name) if name else None


def _stop_facts(func: ast.AST, line: int, cls: ast.ClassDef | None = None,
                flags_only: bool = False) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """For a line that joins: what ``func`` changed before it that another thread can see (an attribute it assigned,
    a global, an Event it set()), and the objects it wakes anywhere. A local variable it binds is its own. A method of
    its own class it calls before the line (``self.stop()``, then ``self.join()``) counts as its own code, one level
    deep, for the flags it sets (an attribute or global given a constant: ``self.halting = True``; a set()) and what
    it wakes: a setup method's ``self.workers = [...]`` is not a stop."""
    shared = {n for node in ast.walk(func) if isinstance(node, (ast.Global, ast.Nonlocal)) for n in node.names}
    stops: set[str] = set()
    wakes: set[str] = set()
    methods = {d.name: d for d in cls.body if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef))} if cls else {}
    for node in ast.walk(func):
        called = node.func.attr if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                                    and _root(node.func) == ("self", [node.func.attr])) else None
        if called in methods and methods[called] is not func and getattr(node, "lineno", line) < line:
            end = (getattr(methods[called], "end_lineno", None) or methods[called].lineno) + 1
            more, woken = _stop_facts(methods[called], end, flags_only=True)
            stops.update(more)
            wakes.update(woken)
        before = getattr(node, "lineno", line) < line
        if before and isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)) and not (
                flags_only and not isinstance(node.value, ast.Constant)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                for el in t.elts if isinstance(t, (ast.Tuple, ast.List)) else [t]:
                    if isinstance(el, ast.Attribute) or (isinstance(el, ast.Name) and el.id in shared):
                        stops.add(_last(el))
        woke = _call_on(node, _WAKES)
        if woke:
            wakes.add(f"{_WAKES[woke[0]]}:{woke[1]}")
            if before and woke[0] == "set":
                stops.add(woke[1])
    return tuple(sorted(stops)), tuple(sorted(wakes))


_HANDED = lazy.compile(r"(Event|Queue|Condition)$")  # what a thread waits on with get() or wait()
_OWN_USES = frozenset({"set", "clear", "is_set", "wait", "put", "put_nowait", "get", "get_nowait", "empty", "qsize",
                       "notify", "notify_all"})


def _target_params(tree: ast.Module, cls: ast.ClassDef | None, target: ast.expr) -> tuple[str, list[str]] | None:
    """(name, positional parameters) of a thread's ``target=`` defined in this file: a module-level function, or a
    method of the joiner's own class (``self.track``), whose ``self`` the binding supplies."""
    if isinstance(target, ast.Name):
        defs, bound = tree.body, False
    elif isinstance(target, ast.Attribute) and _root(target)[0] in ("self", "cls") and cls is not None:
        defs, bound = cls.body, True
    else:
        return None
    name = _last(target)
    for d in defs:
        if isinstance(d, (ast.FunctionDef, ast.AsyncFunctionDef)) and d.name == name:
            params = [a.arg for a in [*d.args.posonlyargs, *d.args.args]]
            return name, params[1:] if bound else params
    return None


def _handoffs(tree: ast.Module, cls: ast.ClassDef | None, func: ast.AST) -> tuple[tuple[str, str, str], ...]:
    """The Events and queues ``func`` makes (``done = threading.Event()``) and lets out only as arguments of the
    threads it starts: nothing but ``func`` itself can wake those threads' waits on them."""
    made: dict[str, int] = {}
    for node in ast.walk(func):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            v = node.value
            ok = isinstance(v, ast.Call) and bool(_HANDED.search(_last(v.func) or ""))
            made[node.targets[0].id] = made.get(node.targets[0].id, 0) + (1 if ok else 2)
    handed: dict[int, tuple[str, str, str]] = {}
    for node in ast.walk(func):
        if not (isinstance(node, ast.Call) and _last(node.func) in ("Thread", "Process")):
            continue
        kw = {k.arg: k.value for k in node.keywords}
        target = _target_params(tree, cls, kw["target"]) if "target" in kw else None
        if target is None:
            continue
        pairs = []
        if isinstance(kw.get("args"), (ast.Tuple, ast.List)):
            pairs += list(zip(target[1], kw["args"].elts))
        if isinstance(kw.get("kwargs"), ast.Dict):
            pairs += [(k.value, v) for k, v in zip(kw["kwargs"].keys, kw["kwargs"].values)
                      if isinstance(k, ast.Constant) and isinstance(k.value, str)]
        for param, arg in pairs:
            if isinstance(arg, ast.Name) and made.get(arg.id) == 1:
                handed[id(arg)] = (target[0], param, arg.id)
    # its own calls on it (set(), put(), wait()) keep it here; stored, passed or captured, it may reach other code
    names = {h[2] for h in handed.values()}
    own = {id(n.value) for n in ast.walk(func) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
           and n.value.id in names and n.attr in _OWN_USES}
    spread = {n.id for n in ast.walk(func) if isinstance(n, ast.Name) and n.id in names
              and not isinstance(n.ctx, ast.Store) and id(n) not in handed and id(n) not in own}
    return tuple(sorted({h for h in handed.values() if h[2] not in spread}))


JOIN_CALL = lazy.compile(r"\.join\(")  # a line that joins (verdict.py reads it too)


def _unreachable_event(func: ast.AST, name: str) -> bool:
    """``name`` is a local of ``func`` made once by ``Event()``, and every use of it is ``name.wait(...)``: not
    passed, returned, stored, captured by a nested function to set, nor global."""
    made = 0
    waits: set[int] = set()
    for node in ast.walk(func):
        if isinstance(node, (ast.Global, ast.Nonlocal)) and name in node.names:
            return False
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            call = node.value
            if not (len(node.targets) == 1 and isinstance(call, ast.Call) and _last(call.func) == "Event"):
                return False
            made += 1
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == name
              and node.attr == "wait"):
            waits.add(id(node.value))
    if made != 1:
        return False
    return all(id(n) in waits for n in ast.walk(func)
               if isinstance(n, ast.Name) and n.id == name and not isinstance(n.ctx, ast.Store))


def lock_facts(path: str | None, line: int | None) -> LockFacts:
    if not path or not line:
        return LockFacts(readable=False)
    tree, lines = _tree(path)
    if tree is None:
        return LockFacts(readable=False)
    statement = lines[line - 1].strip() if 0 < line <= len(lines) else None
    held: list[tuple[str, int, ast.AST]] = []
    waits: str | None = None
    waits_node: ast.AST | None = None
    cls: ast.ClassDef | None = None
    func: ast.AST | None = None
    looped = False  # the line is in a loop's body (or a while's test) of its function: it runs again and again
    flags: set[str] = set()  # what the tests of the while loops around the line read
    on_line: ast.stmt | None = None  # the innermost statement the line is in
    body: list[ast.stmt] = tree.body
    while body:
        nxt: list[ast.stmt] | None = None
        for stmt in body:
            end = getattr(stmt, "end_lineno", stmt.lineno) or stmt.lineno
            if end < line:
                name = _lock_call(stmt.value, "acquire") if isinstance(stmt, ast.Expr) else None
                if name:
                    held.append((name, stmt.lineno, stmt.value.func.value))  # type: ignore[attr-defined]
                name = _lock_call(stmt.value, "release") if isinstance(stmt, ast.Expr) else None
                if name:
                    for i in range(len(held) - 1, -1, -1):
                        if held[i][0] == name:
                            del held[i]
                            break
                continue
            if stmt.lineno > line:
                break
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if isinstance(stmt, ast.ClassDef) or stmt.body[0].lineno <= line:
                    held = [] if not isinstance(stmt, ast.ClassDef) else held
                    if isinstance(stmt, ast.ClassDef):
                        cls, func = stmt, None
                    else:
                        func = stmt
                    looped = False
                    flags = set()
                    nxt = stmt.body
                break
            on_line = stmt
            if isinstance(stmt, (ast.With, ast.AsyncWith)):
                for item in stmt.items:
                    expr = item.context_expr
                    if (getattr(expr, "end_lineno", expr.lineno) or expr.lineno) < line:
                        held.append((_text(expr), expr.lineno, expr))
                    elif expr.lineno <= line and waits is None:
                        waits, waits_node = _text(expr), expr
                        break
            for node in ast.walk(stmt) if stmt.lineno == line or not _bodies(stmt) else ():
                name = _lock_call(node, "acquire")
                if name and getattr(node, "lineno", 0) == line and waits is None:
                    waits, waits_node = name, node.func.value  # type: ignore[attr-defined]
            subs = [b for b in _bodies(stmt) if b[0].lineno <= line <= (getattr(b[-1], "end_lineno", 0) or 0)]
            nxt = subs[0] if subs else None
            if isinstance(stmt, (ast.For, ast.AsyncFor, ast.While)) and (
                    nxt is stmt.body or (isinstance(stmt, ast.While) and nxt is None)):
                looped = True
                flags |= _exit_tests(stmt)
            if nxt is None and waits is None:
                for node in ast.walk(stmt):
                    name = _lock_call(node, "acquire")
                    if name and getattr(node, "lineno", 0) == line:
                        waits, waits_node = name, node.func.value  # type: ignore[attr-defined]
                        break
            break
        body = nxt or []
    ident: dict[str, str] = {}
    holds = []
    for name, at, node in held:
        if _is_lock(node, tree, cls, func):
            holds.append((name, at))
            ident[name] = _identity(node, cls, func)
    if waits_node is not None:
        if _is_lock(waits_node, tree, cls, func):
            ident[waits] = _identity(waits_node, cls, func)  # type: ignore[index]
        else:
            waits = None
    once = None if looped or on_line is None else next(
        (_text(n) for n in ast.walk(on_line) if getattr(n, "lineno", 0) == line and _selects_forever(n)), None)
    waited, how = next(((n, c) for n in ast.walk(on_line) if getattr(n, "lineno", 0) == line
                        for c in [_call_on(n, ("get", "wait"))] if c), (None, None)) if on_line is not None else (None, None)
    waits_on = "{}:{}".format(*how) if how else None
    parks = bool(how and how[0] == "wait" and isinstance(waited.func.value, ast.Name)
                 and func is not None and _unreachable_event(func, waited.func.value.id))
    joins = func is not None and bool(statement) and bool(JOIN_CALL.search(statement))
    stops, wakes = _stop_facts(func, line, cls) if joins else ((), ())
    hands = _handoffs(tree, cls, func) if joins else ()
    return LockFacts(readable=True, holds=tuple(holds), waits_for=waits, statement=statement, ident=ident,
                     selects_once=once, loop_flags=tuple(sorted(flags)), waits_on=waits_on, stops=stops, wakes=wakes,
                     hands=hands, parks=parks)

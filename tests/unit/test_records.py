"""forensics.records: a record behaves as the frozen slotted dataclass it replaces, to its users and to dataclasses."""
from __future__ import annotations

import dataclasses
from typing import ClassVar

import pytest

from forensics import records
from forensics.records import field, record


@record
class Point:
    x: int
    y: int = 0
    tags: tuple = field(default_factory=tuple)
    note: str = field(default="", compare=False)


@record(order=True)
class Version:
    major: int
    minor: int


def test_fields_positional_keyword_and_defaults():
    p = Point(1)
    assert (p.x, p.y, p.tags, p.note) == (1, 0, (), "")
    assert Point(1, 2, ("a",), "n") == Point(x=1, y=2, tags=("a",), note="n")
    with pytest.raises(TypeError):
        Point()


def test_default_factory_is_called_per_instance():
    @record
    class Bag:
        items: list = field(default_factory=list)

    assert Bag().items is not Bag().items


def test_equality_and_hash_by_value_skip_uncompared_fields():
    assert Point(1, 2, note="a") == Point(1, 2, note="b")
    assert hash(Point(1, 2, note="a")) == hash(Point(1, 2, note="b"))
    assert Point(1, 2) != Point(1, 3)
    assert len({Point(1), Point(1), Point(2)}) == 2
    assert Point(1) != (1, 0, (), "")


def test_order():
    assert sorted([Version(2, 0), Version(1, 5), Version(1, 2)]) == [Version(1, 2), Version(1, 5), Version(2, 0)]
    with pytest.raises(TypeError):
        Point(1) < Point(2)  # noqa: B015 -- no order unless asked


def test_frozen_and_slotted():
    p = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.x = 2
    with pytest.raises(dataclasses.FrozenInstanceError):
        del p.x
    assert not hasattr(p, "__dict__")


def test_repr_names_every_field():
    assert repr(Point(1, 2)) == "Point(x=1, y=2, tags=(), note='')"


def test_dataclasses_module_sees_a_dataclass():
    p = Point(1, 2, ("t",), "n")
    assert dataclasses.is_dataclass(p)
    assert [f.name for f in dataclasses.fields(Point)] == ["x", "y", "tags", "note"]
    assert dataclasses.asdict(p) == {"x": 1, "y": 2, "tags": ("t",), "note": "n"}
    assert dataclasses.replace(p, y=5) == Point(1, 5, ("t",), "n")


def test_records_replace_on_records_and_dataclasses():
    assert records.replace(Point(1, 2), x=9) == Point(9, 2)

    @dataclasses.dataclass(frozen=True)
    class Plain:
        a: int

    assert records.replace(Plain(1), a=2) == Plain(2)
    assert records.field_names(Point) == ("x", "y", "tags", "note")
    assert records.field_names(Plain) is None


def test_match_args():
    match Point(3, 4):
        case Point(x, y):
            assert (x, y) == (3, 4)


def test_what_records_refuse():
    with pytest.raises(TypeError, match="ClassVar"):
        @record
        class WithClassVar:
            limit: ClassVar[int] = 3

    with pytest.raises(TypeError, match="__post_init__"):
        @record
        class WithPostInit:
            a: int

            def __post_init__(self):
                pass

    with pytest.raises(TypeError, match="inherit"):
        @record
        class Child(Point):
            z: int = 0

    with pytest.raises(TypeError, match="follows default"):
        @record
        class Misordered:
            a: int = 0
            b: int

    with pytest.raises(ValueError):
        field(default=1, default_factory=list)

"""The local store: atomic writes, filters, corrupt files skipped and left alone."""
from pathlib import Path

import pytest

from forensics.errors import StoreError
from forensics.model import Capture
from forensics.store.local import Filter, LocalStore, Skipped

DATA = Path(__file__).parent.parent / "data"


def _capture(**changes) -> Capture:
    return Capture.from_json((DATA / "capture_deadlock_py311.json").read_text()).with_changes(**changes)


def test_put_get_scan_and_filters(tmp_path):
    store = LocalStore(tmp_path)
    a = _capture(id="20260101T000000.000Z-h1-1-aaaaaa", taken_at=1767225600.0, host="h1", pid=1)
    b = _capture(id="20260102T000000.000Z-h2-2-bbbbbb", taken_at=1767312000.0, host="h2", pid=2)
    for c in (b, a):
        store.put(c)
    assert [c.id for c in store.scan()] == [a.id, b.id]
    assert [c.id for c in store.scan(Filter(host="h2"))] == [b.id]
    assert [c.id for c in store.scan(Filter(pid=1))] == [a.id]
    assert [c.id for c in store.scan(Filter(since=1767300000.0))] == [b.id]
    assert [c.id for c in store.scan(Filter(until=1767300000.0))] == [a.id]
    assert store.get(a.id) == a
    assert store.get("bbbbbb") == b
    assert not list(tmp_path.glob("captures/.tmp-*"))


def test_corrupt_and_foreign_files_are_skipped_not_fatal(tmp_path):
    store = LocalStore(tmp_path)
    good = _capture()
    store.put(good)
    (store.captures_dir / "broken.json").write_text('{"schema": "hangdump.capture/1", "id"')
    (store.captures_dir / "foreign.json").write_text("[1, 2, 3]")
    items = list(store.scan())
    captures = [i for i in items if isinstance(i, Capture)]
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert captures == [good]
    assert {s.path.name for s in skipped} == {"broken.json", "foreign.json"}
    assert (store.captures_dir / "broken.json").read_text().startswith('{"schema"')


def test_unknown_id_and_ambiguous_prefix(tmp_path):
    store = LocalStore(tmp_path)
    store.put(_capture(id="2026-a-1"))
    store.put(_capture(id="2026-a-2"))
    with pytest.raises(StoreError, match="no capture"):
        store.get("nope")
    with pytest.raises(StoreError, match="matches 2"):
        store.get("2026-a")


def test_unwritable_store_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError):
        LocalStore(blocker).put(_capture())

"""The store's index: `ls` rows equal what reading every capture gives, whatever happened to the files or the
index since it was written; rows of unchanged files come from the index without reading them."""
import json
import os
from pathlib import Path

from forensics.model import Capture
from forensics.store import index
from forensics.store.local import Filter, LocalStore, Skipped

DATA = Path(__file__).parent.parent / "data"


def _capture(i: int, **changes) -> Capture:
    base = Capture.from_json((DATA / "capture_deadlock_py311.json").read_text())
    return base.with_changes(id=f"2026010{i}T000000.000Z-h{i}-{i}-aaaaaa", taken_at=1767225600.0 + i * 86400,
                             host=f"h{i}", pid=i, **changes)


def _truth(store: LocalStore, flt: Filter | None = None) -> list:
    """What the index must agree with: every file read and checked."""
    return [(s.path.name, s.reason) if isinstance(s, Skipped) else index.row_of(s) for s in store.scan(flt)]


def _rows(store: LocalStore, flt: Filter | None = None) -> list:
    return [(r.path.name, r.reason) if isinstance(r, Skipped) else r for r in store.rows(flt)]


def _docs_agree(store: LocalStore, flt: Filter | None = None) -> bool:
    """scan_valid_docs (index-filtered, unchanged files not re-checked) yields what scan_checked does."""
    want = [(s.path.name, s.reason) if isinstance(s, Skipped) else s[0] for s in store.scan_checked(flt)]
    got = [(s.path.name, s.reason) if isinstance(s, Skipped) else s[1] for s in store.scan_valid_docs(flt)]
    return got == want


def _index_lines(store: LocalStore) -> list[dict]:
    return [json.loads(x) for x in (store.captures_dir / index.NAME).read_text().splitlines()]


def test_rows_match_the_captures_through_puts_rewrites_removals_and_junk(tmp_path):
    store = LocalStore(tmp_path)
    for i in (1, 2, 3):
        store.put(_capture(i))
    assert not (store.captures_dir / index.NAME).exists()
    assert _docs_agree(store)  # no index yet: built by this read
    assert _rows(store) == _truth(store) and len(_truth(store)) == 3
    store.put(_capture(4))  # appended by put
    assert [e["name"] for e in _index_lines(store)][-1] == f"{_capture(4).id}.json"
    assert _rows(store) == _truth(store)

    two = store.captures_dir / f"{_capture(2).id}.json"
    doc = json.loads(two.read_text())
    doc["host"] = "elsewhere"
    two.write_text(json.dumps(doc))  # rewritten behind the index's back
    (store.captures_dir / f"{_capture(3).id}.json").unlink()
    (store.captures_dir / "20260109T000000.000Z-h9-9-aaaaaa.json").write_text("{not json")
    assert _docs_agree(store, Filter(host="elsewhere"))
    assert _rows(store) == _truth(store)
    assert [r["host"] for r in store.rows() if not isinstance(r, Skipped)] == ["h1", "elsewhere", "h4"]
    assert [r.path.name for r in store.rows() if isinstance(r, Skipped)] == ["20260109T000000.000Z-h9-9-aaaaaa.json"]
    for flt in (Filter(host="h4"), Filter(pid=1), Filter(since=1767225600.0 + 2 * 86400), Filter(until=1767225600.0)):
        assert _rows(store, flt) == _truth(store, flt) and _docs_agree(store, flt)
    one = store.captures_dir / f"{_capture(1).id}.json"
    one.write_text(one.read_text().replace('"threads": [', '"threads": 7, "x": ['))  # now invalid for the model
    assert _docs_agree(store) and _rows(store) == _truth(store)


def test_a_damaged_or_foreign_index_is_rebuilt(tmp_path):
    store = LocalStore(tmp_path)
    for i in (1, 2):
        store.put(_capture(i))
    want = _truth(store)
    path = store.captures_dir / index.NAME
    for junk in (b"\x00garbage\n{\"name\": 1}\n", b'{"name": "x.json", "key": [1, 2, 3, 4], "row": {"id": 5}}\n', b""):
        path.write_bytes(junk)
        assert _rows(store) == want
        assert {e["name"] for e in _index_lines(store)} == {f"{_capture(i).id}.json" for i in (1, 2)}
    path.unlink()
    os.symlink("/dev/zero", path)  # never followed: rebuilt in its place
    assert _rows(store) == want and not path.is_symlink()


def test_rows_of_unchanged_files_come_from_the_index(tmp_path):
    store = LocalStore(tmp_path)
    store.put(_capture(1))
    list(store.rows())
    path = store.captures_dir / index.NAME
    entries = _index_lines(store)
    entries[0]["row"]["method"] = "from-the-index"  # the key still matches the file: the row is taken as it is
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    assert [r["method"] for r in store.rows()] == ["from-the-index"]
    with open(path, "a") as fh:
        fh.write('{"name": "20260101T00')  # a line torn by a writer that died: the whole lines still count
    assert [r["method"] for r in store.rows()] == ["from-the-index"]

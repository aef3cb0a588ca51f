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


def _index_lines(store: LocalStore) -> list:
    return [json.loads(x) for x in (store.captures_dir / index.NAME).read_text().splitlines()]


def _names(store: LocalStore) -> list[str]:
    return [e[0] for e in _index_lines(store) if isinstance(e, list)]


def test_rows_match_the_captures_through_puts_rewrites_removals_and_junk(tmp_path):
    store = LocalStore(tmp_path)
    for i in (1, 2, 3):
        store.put(_capture(i))
    assert not (store.captures_dir / index.NAME).exists()
    assert _docs_agree(store)  # no index yet: built by this read
    assert _rows(store) == _truth(store) and len(_truth(store)) == 3
    store.put(_capture(4))  # appended by put
    assert _names(store)[-1] == f"{_capture(4).id}.json"
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
    row = ["20260101T000000.000Z-h1-1-aaaaaa.json", 1, 2, 3, 4, "h1", 1, 1.0, "py-spy", "manual", 1, None, None]
    for junk in (b"\x00garbage\n{\"name\": 1}\n", b'["x.json", 1, 2, 3, 4, "h", 5]\n', b'{"dir": [1, 2]}\n',
                 json.dumps([*row[:6], True, *row[7:]]).encode(), json.dumps(["../x.json", *row[1:5], "no"]).encode(),
                 b""):
        path.write_bytes(junk)
        assert _rows(store) == want
        assert set(_names(store)) == {f"{_capture(i).id}.json" for i in (1, 2)}
    path.unlink()
    os.symlink("/dev/zero", path)  # never followed: rebuilt in its place
    assert _rows(store) == want and not path.is_symlink()


def test_rows_of_unchanged_files_come_from_the_index(tmp_path):
    store = LocalStore(tmp_path)
    store.put(_capture(1))
    list(store.rows())
    path = store.captures_dir / index.NAME
    entries = _index_lines(store)
    entries[0][8] = "from-the-index"  # the key still matches the file: the row is taken as it is
    path.write_text("".join(json.dumps(e) + "\n" for e in entries))
    assert [r["method"] for r in store.rows()] == ["from-the-index"]
    with open(path, "a") as fh:
        fh.write('{"name": "20260101T00')  # a line torn by a writer that died: the whole lines still count
    assert [r["method"] for r in store.rows()] == ["from-the-index"]


def _settle(store: LocalStore) -> None:
    """Make the captures directory look untouched for a minute (a store nobody wrote to lately)."""
    old = os.stat(store.captures_dir).st_mtime_ns - 60 * 10**9
    os.utime(store.captures_dir, ns=(old, old))


def test_a_stamped_index_answers_alone_until_the_directory_changes(tmp_path):
    store = LocalStore(tmp_path)
    for i in (1, 2):
        store.put(_capture(i))
    list(store.rows())  # builds the index (a rename in the directory)
    list(store.rows())
    assert not isinstance(_index_lines(store)[-1], dict)  # changed just now: too recent to vouch for
    _settle(store)
    assert _rows(store) == _truth(store)
    assert _index_lines(store)[-1] == {"dir": index.dir_state(os.stat(store.captures_dir))}
    one = store.captures_dir / f"{_capture(1).id}.json"
    doc = json.loads(one.read_text())
    one.write_text(json.dumps({**doc, "host": "rewritten"}))  # in place, behind hangdump's back: no name changed
    assert [r["host"] for r in store.rows()] == ["h1", "h2"]  # the stamp answers: no file was even looked at
    # ... but whoever reads the capture itself sees what it is now
    assert [d["host"] for _, d in store.scan_valid_docs()] == ["rewritten", "h2"]
    assert list(store.scan_valid_docs(Filter(host="h1"))) == []  # no longer h1: the file, not the row, decides
    store.put(_capture(3))  # a new name: the directory changed, the stamp no longer matches
    assert _rows(store) == _truth(store) and [r["host"] for r in store.rows()] == ["rewritten", "h2", "h3"]
    _settle(store)
    list(store.rows())
    assert isinstance(_index_lines(store)[-1], dict)
    (store.captures_dir / f"{_capture(2).id}.json").unlink()
    assert _rows(store) == _truth(store) and [r["host"] for r in store.rows()] == ["rewritten", "h3"]


def test_a_stamp_that_does_not_match_the_directory_is_not_trusted(tmp_path):
    store = LocalStore(tmp_path)
    store.put(_capture(1))
    list(store.rows())
    _settle(store)
    list(store.rows())
    lines = _index_lines(store)
    path = store.captures_dir / index.NAME
    ino, mtime, ctime = lines[-1]["dir"]
    for stamp in ([ino, mtime + 1, ctime], [ino + 1, mtime, ctime]):
        ghost = ["20260105T000000.000Z-h5-5-aaaaaa.json", 1, 2, 3, 4, "h5", 5, 1.0, "py-spy", "manual", 1, None, None]
        path.write_text("".join(json.dumps(e) + "\n" for e in [*lines[:-1], ghost, {"dir": stamp}]))
        assert _rows(store) == _truth(store) and len(_truth(store)) == 1

"""The local store: ids checked on every path, files made relative to its directory, nothing replaced or
followed, corrupt and foreign files skipped and left alone."""
import fcntl
import os
import random
import string
from pathlib import Path

import pytest

from forensics.capture.base import new_capture_id
from forensics.errors import CaptureFormatError, StoreError
from forensics.model import Capture
from forensics.store.ids import check_id, is_capture_id, with_tail
from forensics.store.local import TMP_DIR, Filter, LocalStore, Skipped, child_text, keep_aside, path_text

DATA = Path(__file__).parent.parent / "data"
ID_A = "20260101T000000.000Z-h1-1-aaaaaa"
ID_B = "20260102T000000.000Z-h2-2-bbbbbb"
HOSTILE_IDS = [
    "../../../x", "../../../../../../etc/cron.d/x", "/tmp/x", "a/b", "..", ".", "", ".tmp-x",
    "20260101T000000.000Z-h1-1-aaaaaa/../../x", "20260101T000000.000Z-h1-1-aaa\x00", "20260101T000000.000Z-h\n-1-aa",
    "20260101T000000.000Z-" + "h" * 200 + "-1-aa", "20260101T000000.000Z-h1-1-AAA", "20260101T000000.000Z-h1-1-a b",
]


def _capture(**changes) -> Capture:
    return Capture.from_json((DATA / "capture_deadlock_py311.json").read_text()).with_changes(**changes)


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_put_get_scan_and_filters(tmp_path):
    store = LocalStore(tmp_path)
    a = _capture(id=ID_A, taken_at=1767225600.0, host="h1", pid=1)
    b = _capture(id=ID_B, taken_at=1767312000.0, host="h2", pid=2)
    for c in (b, a):
        assert store.put(c).status == "stored"
    assert [c.id for c in store.scan()] == [a.id, b.id]
    assert [c.id for c in store.scan(Filter(host="h2"))] == [b.id]
    assert [c.id for c in store.scan(Filter(pid=1))] == [a.id]
    assert [c.id for c in store.scan(Filter(since=1767300000.0))] == [b.id]
    assert [c.id for c in store.scan(Filter(until=1767300000.0))] == [a.id]
    assert store.get(a.id) == a
    assert store.get("bbbbbb") == b
    assert store.find(a.id) == a and store.find("bbbbbb") is None  # find: an exact id only
    assert os.listdir(store.captures_dir / TMP_DIR) == []
    assert {os.stat(p).st_mode & 0o777 for p in store.paths()} == {0o600}


def test_generated_ids_always_fit_the_grammar():
    rng = random.Random(7)
    alphabet = string.printable + "é/\\\x00\x1b.."
    for _ in range(500):
        host = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60)))
        ident = new_capture_id(rng.uniform(0, 4e9), host, rng.choice([None, 0, 1, 4242, 2**22]))
        assert is_capture_id(ident), ident
        assert "/" not in ident and not ident.startswith(".")
    assert with_tail(ID_A, "0123456789") == "20260101T000000.000Z-h1-1-0123456789"


@pytest.mark.parametrize("bad", HOSTILE_IDS)
def test_hostile_ids_are_refused_and_write_nothing(tmp_path, bad):
    root = tmp_path / "a" / "b" / "store"
    root.mkdir(parents=True)
    before = _tree(tmp_path)
    store = LocalStore(root)
    with pytest.raises(CaptureFormatError, match="is not a capture id"):
        check_id(bad)
    with pytest.raises(CaptureFormatError, match="is not a capture id"):
        store.put(_capture(id=bad))
    assert _tree(tmp_path) == before
    with pytest.raises(StoreError, match="no capture"):
        store.get(bad)
    assert store.find(bad) is None


def test_corrupt_and_foreign_files_are_skipped_not_fatal(tmp_path):
    store = LocalStore(tmp_path)
    good = _capture()
    store.put(good)
    (store.captures_dir / "broken.json").write_text('{"schema": "hangdump.capture/1", "id"')
    (store.captures_dir / f"{ID_A}.json").write_text('{"schema": "hangdump.capture/1", "id"')
    (store.captures_dir / f"{ID_B}.json").write_text(_capture(id=ID_A).to_json())  # someone else's id
    items = list(store.scan())
    assert [i for i in items if isinstance(i, Capture)] == [good]
    reasons = {s.path.name: s.reason for s in items if isinstance(s, Skipped)}
    assert reasons["broken.json"] == "the file name is not a capture id"
    assert reasons[f"{ID_A}.json"].startswith("not valid JSON")
    assert reasons[f"{ID_B}.json"] == f"its id {ID_A!r} is not the file's name"
    assert (store.captures_dir / "broken.json").read_text().startswith('{"schema"')
    with pytest.raises(CaptureFormatError, match=f"capture {ID_A}: not valid JSON"):
        store.get(ID_A)


def test_unknown_id_and_ambiguous_prefix(tmp_path):
    store = LocalStore(tmp_path)
    store.put(_capture(id="20260101T000000.000Z-a-1-aaaaaa"))
    store.put(_capture(id="20260101T000000.000Z-a-2-aaaaaa"))
    with pytest.raises(StoreError, match="no capture"):
        store.get("nope")
    with pytest.raises(StoreError, match="matches 2"):
        store.get("20260101T000000.000Z-a")


def test_same_capture_again_is_a_no_op_and_a_different_one_with_its_id_keeps_both(tmp_path):
    store = LocalStore(tmp_path)
    first = _capture(id=ID_A)
    other = _capture(id=ID_A, host="elsewhere")
    assert store.put(first).status == "stored"
    again = store.put(first)
    assert (again.status, again.id) == ("unchanged", ID_A)
    moved = store.put(other)
    assert moved.status == "renamed" and moved.id != ID_A and moved.id.startswith(ID_A.rsplit("-", 1)[0] + "-")
    assert store.get(ID_A) == first
    assert store.get(moved.id) == other.with_changes(id=moved.id)
    assert store.put(other).id == moved.id and store.put(other).status == "unchanged"  # no third copy
    assert len(store.paths()) == 2


def test_symlinks_in_the_store_are_never_followed(tmp_path):
    elsewhere = LocalStore(tmp_path / "other")
    secret = _capture(id=ID_B, host="secret-host")
    elsewhere.put(secret)
    target = elsewhere.captures_dir / f"{ID_B}.json"
    before = target.read_bytes()
    store = LocalStore(tmp_path / "store")
    store.put(_capture(id=ID_A))
    os.symlink(target, store.captures_dir / f"{ID_B}.json")
    os.symlink("/dev/zero", store.captures_dir / "20260103T000000.000Z-h-3-zzzzzz.json")
    items = list(store.scan())
    assert [c.id for c in items if isinstance(c, Capture)] == [ID_A]
    assert {s.reason for s in items if isinstance(s, Skipped)} == {"the file is a symbolic link (not followed)"}
    assert store.find(ID_B) is None
    with pytest.raises(CaptureFormatError, match="symbolic link"):
        store.get(ID_B)
    # a capture whose id is the symlink's name gets a new id; what the link points to is untouched
    stored = store.put(secret.with_changes(host="mine"))
    assert stored.status == "renamed" and target.read_bytes() == before
    assert (store.captures_dir / f"{ID_B}.json").is_symlink()


def test_a_symlinked_captures_directory_is_refused(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (tmp_path / "store").mkdir()
    os.symlink(other, tmp_path / "store" / "captures")
    store = LocalStore(tmp_path / "store")
    with pytest.raises(StoreError, match="not a directory"):
        store.put(_capture())
    with pytest.raises(StoreError, match="cannot read the store"):
        list(store.scan())
    assert list(other.iterdir()) == []


def test_special_and_huge_files_are_skipped_with_a_reason(tmp_path):
    store = LocalStore(tmp_path)
    store.put(_capture())
    names = {kind: f"2026010{i}T000000.000Z-h-{i}-{kind}.json" for i, kind in enumerate(("fifo", "big", "deep"), 1)}
    os.mkfifo(store.captures_dir / names["fifo"])
    with open(store.captures_dir / names["big"], "wb") as fh:
        fh.truncate(64 * 1024 * 1024 + 1)  # sparse: refused by its size, never read
    (store.captures_dir / names["deep"]).write_text("[" * 100_000 + "]" * 100_000)
    reasons = {s.path.name: s.reason for s in store.scan() if isinstance(s, Skipped)}
    assert reasons == {
        names["fifo"]: "the file is a FIFO, not a regular file",
        names["big"]: "the file is over 64 MiB (67108865 bytes or more); hangdump reads files up to that size",
        names["deep"]: "not valid JSON: nested too deeply",
    }


def test_unwritable_store_is_a_store_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot write to the store"):
        LocalStore(blocker).put(_capture())


def test_temp_files_of_dead_writers_are_removed_by_the_next_put_and_live_ones_kept(tmp_path):
    store = LocalStore(tmp_path)
    store.put(_capture(id=ID_A))
    tmp = store.captures_dir / TMP_DIR
    (tmp / "dead-writer.json").write_text('{"schema": "hangdump.capture/1", "id": "2026')  # nobody holds its lock
    os.symlink("/etc/passwd", tmp / "planted.json")
    live = tmp / "live-writer.json"
    live.write_text("{")
    fd = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert [c.id for c in store.scan()] == [ID_A]  # readers never see temp files
        store.put(_capture(id=ID_B))
        assert os.listdir(tmp) == ["live-writer.json"]
    finally:
        os.close(fd)
    assert os.path.exists("/etc/passwd")
    store.put(_capture(id="20260103T000000.000Z-h-3-cccccc"))
    assert os.listdir(tmp) == []


def test_keep_aside_writes_a_private_file_where_it_can(tmp_path):
    nowhere = str(tmp_path / "missing")
    path = keep_aside(_capture(id=ID_A), dirs=(nowhere, str(tmp_path)))
    assert path == tmp_path / f"hangdump-{ID_A}.json"
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert Capture.from_json(path.read_bytes()) == _capture(id=ID_A)
    assert keep_aside(_capture(id=ID_A), dirs=(nowhere,)) is None


def test_core_workdirs_of_killed_captures_are_removed_and_live_ones_kept(tmp_path):
    """A real process makes a core work directory, writes a 'raw core' into it and is SIGKILLed (as hangdump can be
    during --keep-core); the next core_workdir removes it, and keeps the one a live process holds."""
    import signal

    def child(tail: str, w: int, r: int) -> None:
        try:
            path = LocalStore(tmp_path).core_workdir(f"20260101T000000.000Z-h-1-{tail}")
            with open(os.path.join(path, "core"), "wb") as fh:
                fh.truncate(8 << 20)
            os.write(w, path.encode() + b"\n")
            os.read(r, 1)  # hold it until told (or killed)
        finally:
            os._exit(0)

    procs = []
    for tail in ("dead", "alive"):
        r, w = os.pipe()
        hold_r, hold_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            child(tail, w, hold_r)
        os.close(w)
        with os.fdopen(r) as fh:
            procs.append((pid, fh.readline().strip(), hold_w))
    (dead_pid, dead_dir, _), (live_pid, live_dir, live_hold) = procs
    os.kill(dead_pid, signal.SIGKILL)
    os.waitpid(dead_pid, 0)
    try:
        assert os.path.isdir(dead_dir) and os.path.isdir(live_dir)
        store = LocalStore(tmp_path)
        mine = store.core_workdir("20260101T000000.000Z-h-1-mine")
        assert not os.path.exists(dead_dir)
        assert os.path.isdir(live_dir) and os.path.exists(os.path.join(live_dir, "core"))
        assert LocalStore(tmp_path).core_workdir("20260101T000000.000Z-h-1-next") and os.path.isdir(mine)
    finally:
        os.write(live_hold, b"x")
        os.waitpid(live_pid, 0)


def test_a_temp_file_is_removed_with_its_lock_held(tmp_path, monkeypatch):
    """A writer creates its temp file, then locks it; a cleaner that found it unlocked in between must unlink it
    before letting go of the lock, or the writer, woken from its flock, keeps a file that is then unlinked under
    it (its link fails: "cannot write to the store", seen with four writers in one collect). A spy on os.unlink
    (named: the interleaving cannot be forced for real) tries the lock at the moment of the unlink."""
    store = LocalStore(tmp_path)
    store.put(_capture(id=ID_A))
    tmp = store.captures_dir / TMP_DIR
    (tmp / "created-not-locked-yet.json").write_text("{")
    free_at_unlink = []
    unlink = os.unlink

    def spy(name, *, dir_fd=None):
        fd = os.open(name, os.O_RDONLY, dir_fd=dir_fd)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            free_at_unlink.append(name)
        except BlockingIOError:
            pass
        finally:
            os.close(fd)
        unlink(name, dir_fd=dir_fd)

    monkeypatch.setattr(os, "unlink", spy)
    store.put(_capture(id=ID_B))
    monkeypatch.undo()
    assert os.listdir(tmp) == [] and free_at_unlink == []


@pytest.mark.parametrize("text", ["", ".", "./", "a", "a/", "a//b", "/", "//", "///", "////a", "//a//b/", "/a/./b/.",
                                  "./a", "a/..", "../a", ".hidden", "a/.b/", "/tmp/x y", "~", "//.", "/./"])
def test_the_store_names_its_directories_as_pathlib_does(text):
    """A capture's put names the store's files without pathlib: the same text str(Path(...)) gives."""
    assert path_text(text) == str(Path(text))
    for name in ("captures", "benign.txt"):
        assert child_text(path_text(text), name) == str(Path(text) / name)
    store = LocalStore(text)
    assert store.root == Path(text) and store.captures_dir == Path(text) / "captures"


def test_put_says_where_the_capture_is(tmp_path):
    stored = LocalStore(str(tmp_path) + "//").put(_capture())
    assert stored.path == str(tmp_path / "captures" / f"{stored.id}.json") and os.path.isfile(stored.path)

"""The store keeps evidence whatever happens to the writer or the disk: real SIGKILLs mid-write, a real full disk."""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from forensics.model import Capture
from forensics.store.local import TMP_DIR, LocalStore, Skipped
from tests.fs_support import fill, tiny_tmpfs
from tests.integration.store_writer import numbered, write_forever
from tests.support import assert_left_running, spawn_hang, wait_blocked

pytestmark = pytest.mark.integration

DATA = Path(__file__).parent.parent / "data"
BASE = DATA / "capture_deadlock_py311.json"

def _names(store: LocalStore) -> set[str]:
    return set(os.listdir(store.captures_dir)) | set(os.listdir(store.captures_dir / TMP_DIR))


def test_a_writer_killed_at_random_points_leaves_only_complete_captures(tmp_path):
    """SIGKILL a writer that stores captures in a loop, at a random point of a put: right after it reported one
    (while it encodes the next), as soon as the next one's file appears, or some polls later (while it writes,
    fsyncs, links). Repeated until 50 kills happened, at least 10 of them with a write in flight (its temp file
    left behind): the store must hold only complete captures, byte for byte, and a later put removes the dead
    writers' temp files. Writing in place instead of temp + link fails this test (checked by hand)."""
    seed = int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    base = Capture.from_json(BASE.read_text())
    store = LocalStore(tmp_path / "store")
    store.put(numbered(base, 0))
    verified: dict[str, tuple] = {}
    reported: set[str] = set()
    kills = mid_write = 0
    next_i = 1
    while kills < 50 or mid_write < 10:
        assert kills < 300, f"only {mid_write} of {kills} kills caught a write in flight (seed {seed})"
        r, w = os.pipe()
        pid = os.fork()  # a real process to kill; forked, it starts with everything imported
        if pid == 0:
            try:
                os.close(r)
                write_forever(str(store.root), str(BASE), str(w), str(next_i))
            finally:
                os._exit(1)
        os.close(w)
        with os.fdopen(r) as progress:
            for _ in range(rng.randint(1, 2)):
                line = progress.readline()
                assert line, "the writer died on its own"
                reported.add(line.strip())
            mode = rng.choice(("encoding", "file appeared", "later"))
            if mode != "encoding":
                before = _names(store)
                while _names(store) == before:
                    pass  # until the next capture's file (temp or, if written in place, final) appears
                for _ in range(rng.randint(0, 200) if mode == "later" else 0):
                    os.listdir(store.captures_dir / TMP_DIR)
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        kills += 1
        next_i = int(line.split("-")[2]) + 2  # the one it was writing may or may not be there: never reuse it
        if os.listdir(store.captures_dir / TMP_DIR):
            mid_write += 1
        stored = _check_store(store, base, verified)
        assert reported <= stored, f"seed {seed}"  # everything reported as stored is there, whole
    store.put(numbered(base, next_i))
    assert os.listdir(store.captures_dir / TMP_DIR) == []  # the dead writers' temp files are gone
    assert reported < _check_store(store, base, verified)


def _check_store(store: LocalStore, base: Capture, verified: dict[str, tuple]) -> set[str]:
    """Every file in the store is a complete capture, byte for byte what its writer meant; their ids.

    A file already verified and not changed since (same inode, size, mtime) is not read again."""
    ids = set()
    for item in store.scan_docs():
        assert not isinstance(item, Skipped), f"a half-written or unreadable capture: {item}"
        path, doc = item
        st = os.stat(path, follow_symlinks=False)
        key = (st.st_ino, st.st_size, st.st_mtime_ns)
        if verified.get(doc["id"]) != key:
            i = int(doc["id"].split("-")[2])
            assert path.read_bytes() == numbered(base, i).to_json().encode(), f"{path.name} is not whole"
            verified[doc["id"]] = key
        ids.add(doc["id"])
    return ids


def test_collect_keeps_the_capture_when_the_store_is_full(tmp_path):
    """A real ENOSPC (a 64 KiB tmpfs, filled): the capture the target was paused for goes to TMPDIR, 0600,
    the error line says where, the exit code is 10, and the saved file imports like any capture."""
    aside = tmp_path / "aside"
    aside.mkdir()
    with tiny_tmpfs(tmp_path / "full") as full, spawn_hang("deadlock_ab") as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a"), hung.tid("worker-b")])
        (full / "store" / "captures").mkdir(parents=True)
        fill(full)
        env = dict(os.environ, TMPDIR=str(aside))
        res = subprocess.run([sys.executable, "-m", "forensics", "collect", "--pid", str(hung.pid),
                              "--store", str(full / "store")], check=False, capture_output=True, text=True, env=env, timeout=120)
        assert_left_running(hung.pid)
        assert not list((full / "store" / "captures").glob("*.json"))
    assert res.returncode == 10, res.stderr
    [saved] = list(aside.iterdir())
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("hangdump: error:")]
    assert errors == [
        (f"hangdump: error: cannot write to the store at {full / 'store'}: No space left on device (pass --store DIR "
         f"or set HANGDUMP_HOME to a writable directory); the capture of pid {hung.pid} was saved to {saved} "
         f"instead (`hangdump import {saved}` once the store is fixed)")
    ]
    assert "Traceback" not in res.stderr
    assert os.stat(saved).st_mode & 0o777 == 0o600
    capture = Capture.from_json(saved.read_bytes())
    assert capture.pid == hung.pid and {t.name for t in capture.threads} >= {"worker-a", "worker-b"}
    assert "worker-a" in res.stdout  # the summary is still shown
    imported = subprocess.run([sys.executable, "-m", "forensics", "import", str(saved), "--store",
                               str(tmp_path / "good")], check=False, capture_output=True, text=True, timeout=60)
    assert imported.returncode == 0 and capture.id in imported.stdout
    assert json.loads((tmp_path / "good" / "captures" / f"{capture.id}.json").read_text())["pid"] == hung.pid

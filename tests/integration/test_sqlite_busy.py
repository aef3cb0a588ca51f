"""A sqlite3 write waiting for another connection's lock sleeps in SQLite's busy handler (a C loop of sleeps, up to the
connection's timeout): a lock wait, whether the capture shows the handler's native frames or only the sleep syscall
under the application frame whose line is the `executemany()` -- the source line says it is a database call, which
of the DB-API drivers only sqlite3 makes sleep."""
import shutil

import pytest

from forensics.analysis import analyze
from forensics.capture.base import CollectOptions
from forensics.capture.orchestrate import collect
from forensics.hangs import HANGS_DIR
from tests.support import assert_left_running, spawn_hang, wait_blocked

pytestmark = pytest.mark.integration

PROGRAM = '''"""A tap journal: a compactor holds the database's write lock while it waits for an upload that never confirms."""
import os
import sqlite3
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _scaffold as fx


def compact(path, holding, uploaded):
    conn = sqlite3.connect(path)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM taps WHERE ts < 10")
    holding.set()
    uploaded.wait()
    conn.commit()


def append_taps(path, taps):
    conn = sqlite3.connect(path, timeout=3600)
    conn.executemany("INSERT INTO taps VALUES (?, ?)", taps)
    conn.commit()


def main():
    fx.setup("sqlite_busy", __doc__.splitlines()[0])
    path = os.path.join(tempfile.mkdtemp(), "journal.db")
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE taps (card TEXT, ts INTEGER)")
    holding, uploaded = threading.Event(), threading.Event()
    fx.spawn("compactor", "futex", compact, path, holding, uploaded)
    holding.wait()
    job = fx.spawn("journal", "clock_nanosleep", append_taps, path, [("c", n) for n in range(5)])
    fx.announce_ready()
    job.join()


if __name__ == "__main__":
    main()
'''


@pytest.mark.parametrize("native", [False, True])
def test_a_write_waiting_for_another_connections_lock_is_a_lock_wait(tmp_path, native):
    (tmp_path / "journal.py").write_text(PROGRAM)
    shutil.copy(HANGS_DIR / "_scaffold.py", tmp_path / "_scaffold.py")
    with spawn_hang("sqlite_busy", script=tmp_path / "journal.py") as hung:
        wait_blocked(hung.pid, [hung.tid("journal")], syscalls={"clock_nanosleep", "nanosleep"})
        out = collect([hung.pid], CollectOptions(native=native, timeout_s=30))[0]
        assert_left_running(hung.pid)
    assert out.capture is not None, out.error
    pa = analyze(out.capture)
    journal = next(v for v in pa.verdicts if v.roles and v.roles[0].name == "journal")
    assert journal.kind == "lock", [v.text for v in pa.verdicts]
    assert "in append_taps()" in journal.text and "SQLite's busy handler" in journal.text, journal.text
    assert "sqlite" in next(t for t in pa.threads if t.name == "journal").detail.lower()

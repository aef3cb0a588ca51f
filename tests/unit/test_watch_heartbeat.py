"""forensics.heartbeat, the in-worker emitter: cheap beats, atomic files, fork-aware, old interpreters."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from forensics import heartbeat
from forensics.hangs import python_interpreters
from forensics.identity import read_stat
from tests.support import REPO_ROOT, wait_until


class Recorder:
    """A backend that keeps payloads: the interface a Redis backend will implement."""

    def __init__(self) -> None:
        self.payloads: list[dict] = []
        self.removed: list[int] = []

    def write(self, payload: dict) -> None:
        self.payloads.append(payload)

    def remove(self, pid: int) -> None:
        self.removed.append(pid)


def test_calls_only_touch_memory_and_the_writer_writes_at_most_once_per_resolution():
    rec = Recorder()
    hb = heartbeat.Heartbeat(rec, resolution=3600)
    hb.beat()  # starts the writer, which writes once at once, then waits a resolution
    wait_until(lambda: len(rec.payloads) == 1, what="the writer's first write")
    for i in range(1000):
        hb.task_started("t", id=i)
        hb.beat()
        hb.task_finished()
    assert len(rec.payloads) == 1
    last = time.monotonic()
    hb.flush()
    assert len(rec.payloads) == 2 and rec.payloads[1]["seq"] == 2
    assert rec.payloads[1]["mono"] <= last  # stamped with the caller's last call, not the write
    hb.flush()
    assert len(rec.payloads) == 2  # nothing new: nothing written
    hb.close()


def test_tasks_carry_what_the_watchdog_needs():
    rec = Recorder()
    hb = heartbeat.Heartbeat(rec, resolution=3600)
    hb.beat()
    hb.flush()
    assert rec.payloads[-1]["state"] == "alive"
    hb.task_started("charge", id=42)
    hb.flush()
    p = rec.payloads[-1]
    assert (p["state"], p["task"], p["task_id"]) == ("task", "charge", "42")
    assert p["pid"] == os.getpid() and p["ppid"] == os.getppid()
    assert p["parent_start_ticks"] == read_stat(os.getppid()).start_ticks  # the parent's identity, for orphans
    try:
        same = os.readlink(f"/proc/{os.getppid()}/exe") == os.readlink("/proc/self/exe")
    except OSError:
        same = None  # another user's process
    assert p["parent_same_exe"] is same
    assert p["start_ticks"] == read_stat(os.getpid()).start_ticks
    assert abs(p["started_mono"] - time.monotonic()) < 5 and p["started_at"] <= time.time()
    assert p["writer_tid"] is not None and p["beater_tid"] is None  # the writer never beats by itself
    hb.task_finished()
    hb.flush()
    assert rec.payloads[-1]["state"] == "idle" and rec.payloads[-1]["task"] is None
    hb.close()
    assert rec.removed == [os.getpid()]


def test_file_backend_is_atomic_and_one_file_per_process(tmp_path):
    hb = heartbeat.Heartbeat(heartbeat.FileBackend(str(tmp_path / "hb")), resolution=3600)
    for i in range(50):
        hb.task_started("t", id=i)
        hb.flush()
    assert os.listdir(tmp_path / "hb") == [f"{os.getpid()}.json"]
    assert json.loads((tmp_path / "hb" / f"{os.getpid()}.json").read_text())["task_id"] == "49"
    hb.close()
    assert os.listdir(tmp_path / "hb") == []


def test_an_unwritable_directory_never_breaks_the_worker(tmp_path):
    (tmp_path / "file").write_text("")
    hb = heartbeat.Heartbeat(heartbeat.FileBackend(str(tmp_path / "file" / "hb")), resolution=3600)
    hb.beat()
    hb.task_started("x")
    hb.flush()
    hb.close()


def test_default_directory_follows_the_environment(monkeypatch):
    monkeypatch.setenv("HANGDUMP_HEARTBEAT_DIR", "/x/y")
    assert heartbeat.default_dir() == "/x/y"
    monkeypatch.delenv("HANGDUMP_HEARTBEAT_DIR")
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/7")
    assert heartbeat.default_dir() == "/run/user/7/hangdump"
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert heartbeat.default_dir() == "/run/hangdump"


def test_a_forked_child_beats_as_itself(tmp_path):
    hb = heartbeat.configure(heartbeat.FileBackend(str(tmp_path)), resolution=3600)
    heartbeat.task_started("parent-task")
    heartbeat.flush()
    pid = os.fork()
    if pid == 0:
        try:
            heartbeat.beat()
            heartbeat.flush()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    child = json.loads((tmp_path / f"{pid}.json").read_text())
    assert child["pid"] == pid and child["ppid"] == os.getpid() and child["task"] is None
    assert child["parent_start_ticks"] == read_stat(os.getpid()).start_ticks and child["parent_same_exe"] is True
    assert json.loads((tmp_path / f"{os.getpid()}.json").read_text())["task"] == "parent-task"
    hb.close()


SCRIPT = """
import os, sys, time
from forensics import heartbeat
heartbeat.task_started("job", id=1)
heartbeat.start_thread(0.01)
deadline = time.monotonic() + 30
path = os.path.join(os.environ["HANGDUMP_HEARTBEAT_DIR"], "%d.json" % os.getpid())
import json
def beater():
    try:
        return json.load(open(path))["beater_tid"]
    except (OSError, ValueError):
        return None
while beater() is None and time.monotonic() < deadline:
    time.sleep(0.01)
heartbeat.close()
print(sys.version_info[0], sys.version_info[1], "ok")
"""


@pytest.mark.parametrize("version", ["3.8", "3.9", "3.13"])
def test_importable_and_working_on_old_and_new_interpreters(version, tmp_path):
    found = python_interpreters(min_version=(3, 8))
    if version not in found:
        pytest.skip(f"no python{version} installed")
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), HANGDUMP_HEARTBEAT_DIR=str(tmp_path))
    res = subprocess.run([found[version], "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60,
                         check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == [*version.split("."), "ok"]
    assert os.listdir(tmp_path) == []  # close() removed the file


def test_the_module_imports_nothing_else_of_hangdump():
    code = "import sys, forensics.heartbeat; print(sorted(m for m in sys.modules if m.startswith('forensics')))"
    res = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, PYTHONPATH=str(REPO_ROOT)),
                         capture_output=True, text=True, check=True)
    assert res.stdout.strip() == "['forensics', 'forensics.heartbeat']"

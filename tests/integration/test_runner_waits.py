"""A runner's main thread waiting for the job thread it started, on real processes: a job that polls in a sleep loop
is a live service (no hang verdict); an event whose setter returned early, with only a heartbeat left, is the hang."""
import os
import shutil
import subprocess
import sys

import pytest

from forensics.hangs import HANGS_DIR
from tests.support import assert_left_running, spawn_hang, wait_blocked

pytestmark = pytest.mark.integration

FEEDS = '''import time


def poll_changes(stop):
    while not stop:
        time.sleep(0.2)  # a poller: asks its source every 200 ms, forever by design
'''
HEALTH = '''import time


def beat():
    while True:
        time.sleep(0.2)
'''
RUNNER = '''"""A task runner: a job thread, a heartbeat, the main thread waiting for the job (how: argv[1])."""
import os
import sys
import threading

FIXTURE = "runner_waits"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _scaffold as fx
import feeds
import health


def retried(job, *args):
    return job(*args)


def body(done, early):
    if not early:  # the early-return path that forgets done.set()
        retried(feeds.poll_changes, [])
        done.set()


def main():
    how = sys.argv.pop(1)
    fx.setup(FIXTURE, __doc__.splitlines()[0])
    done = threading.Event()
    fx.spawn("heartbeat", "sleep", health.beat)
    job = fx.spawn("Thread-7", "sleep", body, done, how == "early")
    if how == "early":
        job.join()
    fx.announce_ready()
    if how == "join":
        job.join()
    else:
        done.wait()
    sys.exit("the job ended")


if __name__ == "__main__":
    main()
'''


def collect(pid: int, store) -> subprocess.CompletedProcess:
    env = dict(os.environ, HANGDUMP_HOME=str(store))
    return subprocess.run([sys.executable, "-m", "forensics", "collect", "--pid", str(pid), "--no-store"],
                          check=False, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("how", ["join", "event", "early"])
def test_a_runner_waiting_for_its_polling_job_is_idle_and_for_an_event_nothing_will_set_is_the_hang(tmp_path, how):
    for name, text in (("feeds.py", FEEDS), ("health.py", HEALTH), ("runner.py", RUNNER)):
        (tmp_path / name).write_text(text)
    shutil.copy(HANGS_DIR / "_scaffold.py", tmp_path / "_scaffold.py")
    with spawn_hang("runner_waits", script=tmp_path / "runner.py", args=[how]) as hung:
        sleepers = [hung.tid("heartbeat")] + ([] if how == "early" else [hung.tid("Thread-7")])
        wait_blocked(hung.pid, sleepers, syscalls={"clock_nanosleep", "select", "pselect6"})
        wait_blocked(hung.pid, [hung.tid("MainThread")], syscalls={"futex"})
        res = collect(hung.pid, tmp_path / "store")
        assert_left_running(hung.pid)
    assert res.returncode == 0, res.stderr[-2000:]
    verdicts = [ln for ln in res.stdout.splitlines() if ln.lstrip().startswith("verdict:")]
    if how == "early":
        assert "Event.wait(): nothing sets or notifies it" in verdicts[0] and "main()" in verdicts[0], res.stdout
    else:
        assert verdicts and not any("never finishes" in v or "nothing sets" in v for v in verdicts), res.stdout
        assert "idle by design" in verdicts[0] or "no hang in this capture" in verdicts[0], res.stdout

"""A socket call with a timeout, on real processes against a silent loopback server (it accepts nothing and never
answers): retried while a runner waits for it with no timeout, it is the hang, with or without native frames; in a
listener loop nothing waits for, it is a loop at rest. A client library's request (http.client) waiting for its reply
with a timeout on each try is a request under way, not a rest, even when no thread waits for it."""
import os
import shutil
import socket
import subprocess
import sys

import pytest

from forensics.hangs import HANGS_DIR
from tests.support import assert_left_running, spawn_hang, wait_blocked

pytestmark = pytest.mark.integration

CLIENT = '''import socket


def fetch_quote(port):
    """A client that retries each try's timeout, as client libraries do (redis-py's, urllib3's Retry)."""
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"QUOTE\\n")
                return s.recv(64)
        except socket.timeout:
            continue


def purge_edge(port):
    """An HTTP call with a timeout on each try, retried with no overall deadline."""
    import http.client

    while True:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("PURGE", "/story/1")
            return conn.getresponse().status
        except OSError:
            conn.close()


def listen_for_updates(port):
    """A listener loop: wakes every 5 s to check whether it should stop."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        while True:
            try:
                s.recv(64)
            except socket.timeout:
                continue
'''
PROGRAM = '''"""A pricing worker: a quote fetched on a one-slot pool (the main thread waits for it) or an update listener."""
import os
import signal
import sys
from concurrent.futures import ThreadPoolExecutor

FIXTURE = "timed_requests"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _scaffold as fx
import pricing


def main():
    how, port = sys.argv.pop(1), int(sys.argv.pop(1))
    fx.setup(FIXTURE, __doc__.splitlines()[0])
    if how in ("listener", "http"):
        fx.spawn("updates", "poll", pricing.listen_for_updates if how == "listener" else pricing.purge_edge, port)
        fx.announce_ready()
        signal.pause()
    with ThreadPoolExecutor(1, thread_name_prefix="quotes") as pool:
        job = pool.submit(pricing.fetch_quote, port)
        fx.record(next(iter(pool._threads)), "poll")
        fx.announce_ready()
        job.result()


if __name__ == "__main__":
    main()
'''


def collect(pid: int, store, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, HANGDUMP_HOME=str(store))
    return subprocess.run([sys.executable, "-m", "forensics", "collect", "--pid", str(pid), "--no-store", *extra],
                          check=False, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("how,native", [("pool", False), ("pool", True), ("listener", False), ("listener", True),
                                        ("http", False), ("http", True)])
def test_a_retried_request_a_runner_waits_for_is_the_hang_and_a_listener_loop_is_at_rest(tmp_path, how, native):
    for name, text in (("pricing.py", CLIENT), ("worker.py", PROGRAM)):
        (tmp_path / name).write_text(text)
    shutil.copy(HANGS_DIR / "_scaffold.py", tmp_path / "_scaffold.py")
    with socket.socket() as silent:  # listens, never accepts: connections complete in the backlog, nothing answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        with spawn_hang("timed_requests", script=tmp_path / "worker.py", args=[how, str(silent.getsockname()[1])]) \
                as hung:
            wait_blocked(hung.pid, [hung.tid("quotes_0" if how == "pool" else "updates")], syscalls={"poll"})
            res = collect(hung.pid, tmp_path / "store", *(["--native"] if native else []))
            assert_left_running(hung.pid)
    assert res.returncode == 0, res.stderr[-2000:]
    verdicts = [ln.strip() for ln in res.stdout.splitlines() if ln.lstrip().startswith("verdict:")]
    if how != "listener":
        function = "fetch_quote" if how == "pool" else "purge_edge"
        assert f"in {function}()" in verdicts[0] and "with a timeout on each try" in verdicts[0], res.stdout
    else:
        hangs = ("blocked", "never", "nothing sets", "waits for a result")
        assert not any(word in v for v in verdicts for word in hangs), res.stdout

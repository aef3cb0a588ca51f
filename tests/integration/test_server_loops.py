"""Waits with no timeout on real processes: a selectors server loop watching its listening socket, and a datagram
server reading its unconnected UDP socket, are servers waiting for clients (idle by design, like accept()), so the
runner joining them is idle too; a client's selector watching only its connection to a silent loopback server, and a
client reading its connected UDP socket, are the hang, and the verdict names the peer."""
import os
import shutil
import socket
import subprocess
import sys

import pytest

from forensics.hangs import HANGS_DIR
from tests.support import assert_left_running, spawn_hang, wait_blocked

pytestmark = pytest.mark.integration

PROGRAM = '''"""A readings API (a selectors server loop) or a feed client (a selector on its upstream connection)."""
import os
import selectors
import socket
import sys

FIXTURE = "server_loops"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _scaffold as fx


def serve_api(listener):
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            conn, _ = key.fileobj.accept()
            conn.close()


def follow_feed(port):
    upstream = socket.create_connection(("127.0.0.1", port))
    sel = selectors.DefaultSelector()
    sel.register(upstream, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            key.fileobj.recv(4096)


def collect_readings(sock):
    while True:
        sock.recvfrom(2048)


def ask_station(port):
    station = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    station.connect(("127.0.0.1", port))
    station.send(b"STATUS?")
    station.recv(2048)


def main():
    how, port = sys.argv.pop(1), int(sys.argv.pop(1))
    fx.setup(FIXTURE, __doc__.splitlines()[0])
    if how == "server":
        listener = socket.create_server(("127.0.0.1", 0))
        job = fx.spawn("api", "epoll_wait", serve_api, listener)
    elif how == "udp-server":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        job = fx.spawn("api", "recvfrom", collect_readings, sock)
    elif how == "udp-client":
        job = fx.spawn("feed", "recvfrom", ask_station, port)
    else:
        job = fx.spawn("feed", "epoll_wait", follow_feed, port)
    fx.announce_ready()
    job.join()


if __name__ == "__main__":
    main()
'''


@pytest.mark.parametrize("how", ["server", "client", "udp-server", "udp-client"])
def test_a_server_loop_waits_for_clients_and_a_client_selector_on_a_silent_peer_is_the_hang(tmp_path, how):
    (tmp_path / "readings.py").write_text(PROGRAM)
    shutil.copy(HANGS_DIR / "_scaffold.py", tmp_path / "_scaffold.py")
    udp = how.startswith("udp")
    with socket.socket(type=socket.SOCK_DGRAM if udp else socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))  # never answers (TCP: listens, never accepts; the connection completes)
        if not udp:
            silent.listen(8)
        port = silent.getsockname()[1]
        with spawn_hang("server_loops", script=tmp_path / "readings.py", args=[how, str(port)]) as hung:
            wait_blocked(hung.pid, [hung.tid("api" if how.endswith("server") else "feed")],
                         syscalls={"recvfrom", "recvmsg", "read"} if udp else {"epoll_wait"})
            env = dict(os.environ, HANGDUMP_HOME=str(tmp_path / "store"))
            res = subprocess.run([sys.executable, "-m", "forensics", "collect", "--pid", str(hung.pid), "--no-store"],
                                 check=False, capture_output=True, text=True, env=env, timeout=120)
            assert_left_running(hung.pid)
    assert res.returncode == 0, res.stderr[-2000:]
    verdicts = [ln.strip() for ln in res.stdout.splitlines() if ln.lstrip().startswith("verdict:")]
    if how.endswith("server"):
        assert verdicts and all("idle by design" in v or "no hang" in v for v in verdicts), res.stdout
    else:
        assert f"in {'ask_station' if udp else 'follow_feed'}()" in verdicts[0], res.stdout
        assert "with no timeout" in verdicts[0], res.stdout
        assert (f"from 127.0.0.1:{port}" if udp else f"->127.0.0.1:{port}") in verdicts[0], res.stdout

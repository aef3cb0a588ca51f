"""Waits with no timeout on real processes: a selectors server loop watching its listening socket, and a datagram
server reading its unconnected UDP socket (directly, or through a selector), are servers waiting for clients (idle by design, like accept()), so the
runner joining them is idle too; a client's selector watching only its connection to a silent loopback server, and a
client reading its connected UDP socket, are the hang, and the verdict names the peer. So is a select() with no timeout
made once for a reply (not an event loop) on a pipe nothing writes. The same programs dumped by plain py-spy (no kernel
state: what `hangdump import` gets) reach the same verdicts from the source lines, with and without --native."""
import os
import shutil
import socket
import subprocess
import sys

import pytest

from forensics.analysis import analyze
from forensics.hangs import HANGS_DIR
from forensics.importers.files import import_file
from tests.support import HANG_KINDS, assert_left_running, pyspy_dump, spawn_hang, wait_blocked

pytestmark = pytest.mark.integration

PROGRAM = '''"""A readings API (a selectors server loop) or a feed client (a selector on its upstream connection)."""
import os
import select
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


def relay_readings(sock):
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            key.fileobj.recvfrom(2048)


def ask_station(port):
    station = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    station.connect(("127.0.0.1", port))
    station.send(b"STATUS?")
    station.recv(2048)


def await_reply(reply_fd):
    select.select([reply_fd], [], [])  # the reply "comes right away"
    return os.read(reply_fd, 4096)


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
    elif how == "udp-selector-server":
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        job = fx.spawn("api", "epoll_wait", relay_readings, sock)
    elif how == "reply":
        reply_fd, _ = os.pipe()  # our own write end stays open: nothing will ever write
        job = fx.spawn("feed", "select", await_reply, reply_fd)
    elif how == "udp-client":
        job = fx.spawn("feed", "recvfrom", ask_station, port)
    else:
        job = fx.spawn("feed", "epoll_wait", follow_feed, port)
    fx.announce_ready()
    job.join()


if __name__ == "__main__":
    main()
'''


SYSCALLS = {"udp": {"recvfrom", "recvmsg", "read"}, "reply": {"select", "pselect6"}}
TRUE_HANG = {"client": "follow_feed", "udp-client": "ask_station", "reply": "await_reply"}


def _hung(tmp_path, how: str, port: int):
    (tmp_path / "readings.py").write_text(PROGRAM)
    shutil.copy(HANGS_DIR / "_scaffold.py", tmp_path / "_scaffold.py")
    return spawn_hang("server_loops", script=tmp_path / "readings.py", args=[how, str(port)])


@pytest.mark.parametrize("how", ["server", "client", "udp-server", "udp-selector-server", "udp-client", "reply"])
def test_a_server_loop_waits_for_clients_and_a_client_selector_on_a_silent_peer_is_the_hang(tmp_path, how):
    udp = how.startswith("udp")
    with socket.socket(type=socket.SOCK_DGRAM if udp else socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))  # never answers (TCP: listens, never accepts; the connection completes)
        if not udp:
            silent.listen(8)
        port = silent.getsockname()[1]
        with _hung(tmp_path, how, port) as hung:
            wait_blocked(hung.pid, [hung.tid("api" if how.endswith("server") else "feed")],
                         syscalls=SYSCALLS.get("udp" if udp and "selector" not in how else how, {"epoll_wait"}))
            env = dict(os.environ, HANGDUMP_HOME=str(tmp_path / "store"))
            res = subprocess.run([sys.executable, "-m", "forensics", "collect", "--pid", str(hung.pid), "--no-store"],
                                 check=False, capture_output=True, text=True, env=env, timeout=120)
            assert_left_running(hung.pid)
    assert res.returncode == 0, res.stderr[-2000:]
    verdicts = [ln.strip() for ln in res.stdout.splitlines() if ln.lstrip().startswith("verdict:")]
    if how.endswith("server"):
        assert verdicts and all("idle by design" in v or "no hang" in v for v in verdicts), res.stdout
    else:
        assert f"in {TRUE_HANG[how]}()" in verdicts[0], res.stdout
        assert "with no timeout" in verdicts[0], res.stdout
        if how != "reply":
            assert (f"from 127.0.0.1:{port}" if udp else f"->127.0.0.1:{port}") in verdicts[0], res.stdout


# A client's selector loop on its connection is not in it: with no kernel state to say what a multiplexer in a loop
# watches, it is taken for the event loop it nearly always is.
@pytest.mark.parametrize("native", [False, True])
@pytest.mark.parametrize("how", ["server", "udp-server", "udp-client", "reply"])
def test_a_plain_py_spy_dump_reaches_the_live_verdicts_from_the_source_lines(tmp_path, how, native):
    udp = how.startswith("udp")
    with socket.socket(type=socket.SOCK_DGRAM if udp else socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        with _hung(tmp_path, how, port) as hung:
            wait_blocked(hung.pid, [hung.tid("api" if how.endswith("server") else "feed")],
                         syscalls=SYSCALLS.get("udp" if udp and "selector" not in how else how, {"epoll_wait"}))
            dump = pyspy_dump(hung.pid, native)
            assert_left_running(hung.pid)
    (tmp_path / "dump.json").write_text(dump)
    d = import_file(str(tmp_path / "dump.json")).to_dict()
    assert not any(t.get("kernel") for t in d["threads"])  # the premise: no kernel state
    pa = analyze(d)
    top = pa.verdicts[0]
    if how.endswith("server"):
        assert not {v.kind for v in pa.verdicts} & HANG_KINDS, [v.text for v in pa.verdicts]
        assert next(t for t in pa.threads if t.name == "api").benign
    else:
        assert top.kind == "io" and f"in {TRUE_HANG[how]}()" in top.text, [v.text for v in pa.verdicts]
        if how == "reply":
            assert "`select.select([reply_fd], [], [])` (once, not in a loop) with no timeout" in top.text, top.text

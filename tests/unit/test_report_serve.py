"""hangdump serve: the report over HTTP on loopback, read-only, rebuilt when the store changes; captures by id
only (crafted URLs and planted symlinks reach nothing, and cannot tell what exists); bodies refused so nothing
is smuggled; idle connections cost no thread; SIGINT/SIGTERM stop it cleanly. Most tests run a real
`hangdump serve` process and talk to it over real sockets."""
import contextlib
import http.client
import os
import re
import resource
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from forensics.model import Capture
from forensics.report.render import read_payload
from forensics.report.serve import NO_CAPTURE, host_of, make_server
from forensics.store.local import LocalStore
from tests.support import wait_until

DATA = Path(__file__).parent.parent / "data"
SECRET_HOST = "other-store-secret-host"


def _capture(**changes) -> Capture:
    return Capture.from_json((DATA / "capture_deadlock_py311.json").read_text()).with_changes(**changes)


@pytest.fixture
def served(tmp_path):
    store = LocalStore(tmp_path)
    store.put(_capture())
    server = make_server(store, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield store, server.server_address[1]
    server.shutdown()
    thread.join(timeout=30)
    assert not thread.is_alive()
    server.server_close()


def _request(port, method, path, host=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Host": host} if host else {}
    conn.request(method, path, headers=headers)
    resp = conn.getresponse()
    body = resp.read().decode()
    conn.close()
    return resp, body


def test_report_page_and_rebuild_on_new_capture(served):
    store, port = served
    resp, body = _request(port, "GET", "/")
    assert resp.status == 200 and resp.getheader("Content-Type").startswith("text/html")
    assert "script-src 'sha256-" in resp.getheader("Content-Security-Policy")
    assert len(read_payload(body)["c"]) == 1
    first = _capture()
    store.put(first.with_changes(id="20261124T000000.000Z-vm-1-bbbbbb", pid=1, taken_at=first.taken_at + 60))
    _, body = _request(port, "GET", "/")
    assert len(read_payload(body)["c"]) == 2
    _, body = _request(port, "GET", "/?pid=1")
    assert len(read_payload(body)["c"]) == 1


def test_capture_page_exports_and_not_found(served):
    store, port = served
    ident = store.paths()[0].stem
    resp, body = _request(port, "GET", "/capture/" + ident)
    assert resp.status == 200 and f'data-only-capture="{ident}"' in body
    resp, body = _request(port, "GET", "/capture/nope")
    assert resp.status == 404 and body == NO_CAPTURE + "\n"
    resp, body = _request(port, "GET", "/export/folded")
    assert resp.status == 200 and "t1 (dl.py)" in body
    resp, _ = _request(port, "GET", "/elsewhere")
    assert resp.status == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_read_only(served, method):
    store, port = served
    before = sorted(p.name for p in store.paths())
    resp, _ = _request(port, method, "/")
    assert resp.status == 405 and resp.getheader("Allow") == "GET, HEAD"
    assert sorted(p.name for p in store.paths()) == before


def test_foreign_host_header_is_refused(served):
    _, port = served
    resp, _ = _request(port, "GET", "/", host="evil.example:80")
    assert resp.status == 403
    resp, _ = _request(port, "HEAD", "/", host=f"localhost:{port}")
    assert resp.status == 200


def test_host_of():
    assert host_of("localhost:8642") == "localhost"
    assert host_of("[::1]:8642") == "::1"
    assert host_of("127.0.0.1") == "127.0.0.1"


# -- a real `hangdump serve` process -------------------------------------------------------------------

class Served:
    def __init__(self, proc: subprocess.Popen, port: int) -> None:
        self.proc, self.port = proc, port

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=60)

    def exchange(self, raw: bytes) -> bytes:
        """Send raw bytes, half-close, read everything the server says until it closes."""
        with self.connect() as s:
            s.sendall(raw)
            s.shutdown(socket.SHUT_WR)
            return _read_all(s)

    def threads(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"^Threads:\s+(\d+)", status, re.MULTILINE).group(1))

    def stop(self, signum: int = signal.SIGTERM) -> str:
        self.proc.send_signal(signum)
        _, err = self.proc.communicate(timeout=60)
        return err


def _read_all(s: socket.socket) -> bytes:
    chunks = []
    while chunk := s.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@contextlib.contextmanager
def serve_process(store: Path, *args: str):
    proc = subprocess.Popen([sys.executable, "-m", "forensics", "serve", "--store", str(store), "--port", "0", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()  # "serving STORE at http://127.0.0.1:PORT/ ..." once it listens
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, line
        yield Served(proc, int(m.group(1)))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _statuses(raw: bytes) -> list[int]:
    return [int(m.group(1)) for m in re.finditer(rb"HTTP/1\.[01] (\d{3}) ", raw)]


def _two_stores(tmp_path) -> tuple[LocalStore, str, str]:
    """A served store with one capture, and beside it another store holding a secret capture."""
    other = LocalStore(tmp_path / "other-store")
    secret_id = "20261124T000000.000Z-vm-2-5ec4e7"
    other.put(_capture(id=secret_id, host=SECRET_HOST))
    store = LocalStore(tmp_path / "store")
    store.put(_capture())
    return store, _capture().id, secret_id


def test_captures_are_found_by_id_only_and_nothing_else_can_be_probed(tmp_path):
    store, mine, secret = _two_stores(tmp_path)
    missing = "20261124T000000.000Z-vm-2-000000"
    crafted = [
        f"/capture/..%2f..%2fother-store%2fcaptures%2f{secret}",
        f"/capture/..%2f..%2fno-such-store%2fcaptures%2f{secret}",
        f"/capture/../../other-store/captures/{secret}",
        f"/capture/%2e%2e%2f%2e%2e%2fother-store%2fcaptures%2f{secret}",
        f"/capture/%252e%252e%252fother-store%252fcaptures%252f{secret}",
        f"/capture/..%5c..%5cother-store%5ccaptures%5c{secret}",
        f"/capture/{mine}.json", f"/capture/{mine}%00", f"/capture/{mine}/", f"/capture/%2f{mine}",
        f"/capture/{secret}", f"/capture/{missing}", "/capture/", "/capture/..", f"/capture/{mine[:-3]}",
        f"/capture/{tmp_path}/other-store/captures/{secret}.json", "/capture/.tmp",
    ]
    with serve_process(store.root) as srv:
        answers = {}
        for url in crafted:
            raw = srv.exchange(f"GET {url} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
            assert SECRET_HOST.encode() not in raw and secret.encode() not in raw.split(b"\r\n\r\n", 1)[1], url
            status_line, _, rest = raw.partition(b"\r\n")
            answers[url] = (status_line, rest.split(b"\r\n\r\n", 1)[1])
        ok = srv.exchange(f"GET /capture/{mine} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        err = srv.stop()
    assert set(answers.values()) == {(b"HTTP/1.1 404 Not Found", (NO_CAPTURE + "\n").encode())}, answers
    assert _statuses(ok) == [200] and mine.encode() in ok
    assert "Traceback" not in err


def test_a_symlink_planted_in_the_store_is_not_followed_and_special_files_are_skipped(tmp_path):
    store, mine, secret = _two_stores(tmp_path)
    os.symlink(tmp_path / "other-store" / "captures" / f"{secret}.json", store.captures_dir / f"{secret}.json")
    fifo, zero = "20261125T000000.000Z-vm-3-f1f0.json", "20261125T000000.000Z-vm-4-2e50.json"
    os.mkfifo(store.captures_dir / fifo)  # neither may hang or exhaust the server
    os.symlink("/dev/zero", store.captures_dir / zero)
    with serve_process(store.root) as srv:
        linked = srv.exchange(f"GET /capture/{secret} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        missing = srv.exchange(b"GET /capture/20261124T000000.000Z-vm-2-000000 HTTP/1.1\r\nHost: localhost\r\n"
                               b"Connection: close\r\n\r\n")
        page = srv.exchange(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        folded = srv.exchange(b"GET /export/folded HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        srv.stop()
    assert linked.split(b"\r\n")[0] == missing.split(b"\r\n")[0] == b"HTTP/1.1 404 Not Found"
    assert linked.split(b"\r\n\r\n", 1)[1] == missing.split(b"\r\n\r\n", 1)[1]
    assert _statuses(page) == [200] and _statuses(folded) == [200]
    payload = read_payload(page.split(b"\r\n\r\n", 1)[1].decode())
    assert [c[0] for c in payload["c"]] == [payload["s"].index(mine)]  # only the real capture is in the report
    assert SECRET_HOST not in payload["s"]
    html = page.decode()
    assert f"{fifo}</code>: the file is a FIFO, not a regular file" in html
    assert f"{zero}</code>: the file is a symbolic link (not followed)" in html
    assert f"{secret}.json</code>: the file is a symbolic link (not followed)" in html


def test_request_bodies_cannot_smuggle_a_second_request(tmp_path):
    store, mine, _ = _two_stores(tmp_path)
    second = f"GET /capture/{mine} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode()
    attempts = {
        "GET with a body": b"GET /nothing HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % len(second),
        "POST with a body": b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Length: %d\r\n\r\n" % len(second),
        "chunked GET": b"GET /nothing HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
                       b"%x\r\n" % len(second),
    }
    with serve_process(store.root) as srv:
        answers = {name: srv.exchange(head + second) for name, head in attempts.items()}
        plain = srv.exchange(second + second.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
        err = srv.stop()
    assert {name: _statuses(raw) for name, raw in answers.items()} == {
        "GET with a body": [400], "POST with a body": [405], "chunked GET": [400]}
    assert all(b"Connection: close" in raw for raw in answers.values())
    assert _statuses(plain) == [200, 200]  # pipelined requests without bodies are both answered, in order
    assert "Traceback" not in err


def test_a_thousand_idle_connections_hold_no_threads_and_idle_ones_are_closed(tmp_path):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 4096), hard))
    store, mine, _ = _two_stores(tmp_path)
    with serve_process(store.root, "--idle-timeout", "600") as srv:
        idle = []
        try:
            for _ in range(1000):
                s = srv.connect()
                idle.append(s)
            fd_dir = f"/proc/{srv.proc.pid}/fd"
            wait_until(lambda: len(os.listdir(fd_dir)) >= 500, timeout=60, what="the server to accept the connections")
            threads_while_idle = srv.threads()
            ok = srv.exchange(f"GET /capture/{mine} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
            threads_after = srv.threads()
        finally:
            for s in idle:
                s.close()
        err = srv.stop()
    assert threads_while_idle <= 3, threads_while_idle  # the main loop (+ at most the stdlib's helpers)
    assert threads_after <= 3 + 8  # the worker pool is bounded
    assert _statuses(ok) == [200]
    assert "Traceback" not in err


def test_idle_keep_alive_connections_are_timed_out(tmp_path):
    store, mine, _ = _two_stores(tmp_path)
    with serve_process(store.root, "--idle-timeout", "0.5") as srv:
        with srv.connect() as quiet, srv.connect() as kept:
            kept.sendall(f"GET /capture/{mine} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
            assert _read_all(quiet) == b""  # closed by the server, not by our 60 s timeout
            assert _statuses(_read_all(kept)) == [200]  # answered, kept alive, then closed when idle
        err = srv.stop()
    assert "Traceback" not in err


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signals_stop_it_cleanly_and_vanished_clients_leave_no_traceback(tmp_path, signum):
    store, _, _ = _two_stores(tmp_path)
    with serve_process(store.root) as srv:
        for _ in range(20):  # ask for the (large) report page and reset the connection at once: EPIPE / ECONNRESET
            s = srv.connect()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            s.close()
        with srv.connect() as idle:
            idle.sendall(b"GET /export/folded HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert _statuses(idle.recv(65536)) == [200]
            err = srv.stop(signum)
        assert srv.proc.returncode == 0
    assert err.strip().splitlines()[-1] == "hangdump serve: stopped"
    assert "Traceback" not in err and "Error" not in err, err

"""hangdump serve: the report over HTTP on loopback, read-only, rebuilt when the store changes."""
import http.client
import threading
from pathlib import Path

import pytest

from forensics.model import Capture
from forensics.report.render import read_payload
from forensics.report.serve import host_of, make_server
from forensics.store.local import LocalStore

DATA = Path(__file__).parent.parent / "data"


@pytest.fixture
def served(tmp_path):
    store = LocalStore(tmp_path)
    store.put(Capture.from_json((DATA / "capture_deadlock_py311.json").read_text()))
    server = make_server(store, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield store, server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def _request(port, method, path, host=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
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
    first = Capture.from_json((DATA / "capture_deadlock_py311.json").read_text())
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
    assert resp.status == 404
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

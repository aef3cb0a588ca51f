"""Browse the live store: the report's pages over HTTP, read-only, on 127.0.0.1 unless told otherwise.

    /                          the report (query: since, until, host, pid), rebuilt when the store changes
    /capture/ID                one capture's full view
    /export/folded             folded stacks (query as above, plus cluster)
    /export/speedscope.json    speedscope file

Only GET and HEAD are answered; anything else is 405. Requests whose Host header is not a loopback
name are refused while bound to loopback, so a web page cannot reach the store by DNS rebinding.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from forensics.errors import HangdumpError
from forensics.report import build, export, render
from forensics.store.local import Filter, LocalStore

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class ReportCache:
    """The last report per query, kept until a file in the store is added, removed or changed."""

    def __init__(self, store: LocalStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._cache: dict[tuple, tuple[tuple, str]] = {}

    def fingerprint(self) -> tuple:
        entries = []
        try:
            with os.scandir(self.store.captures_dir) as it:
                for e in it:
                    if e.name.endswith(".json") and not e.name.startswith("."):
                        st = e.stat()
                        entries.append((e.name, st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            pass
        return tuple(sorted(entries))

    def report(self, flt: Filter, key: tuple) -> str:
        fp = self.fingerprint()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] == fp:
                return hit[1]
        html = build.build_report(
            self.store, flt, title="hangdump: live store", scope=f"store {self.store.root}", progress=False
        ).html
        with self._lock:
            self._cache = {k: v for k, v in self._cache.items() if v[0] == fp}
            self._cache[key] = (fp, html)
        return html


def host_of(header: str) -> str:
    """The name in a Host header, without its port: 'localhost:8642' -> 'localhost', '[::1]:80' -> '::1'."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _filter(query: dict[str, list[str]]) -> Filter:
    from forensics.cli.common import parse_when

    def one(name: str) -> str | None:
        values = query.get(name)
        return values[-1] if values and values[-1] else None

    pid = one("pid")
    return Filter(
        since=parse_when(one("since")), until=parse_when(one("until")), host=one("host"),
        pid=int(pid) if pid and pid.isdigit() else None,
    )


def make_handler(store: LocalStore, check_host: bool) -> type[BaseHTTPRequestHandler]:
    cache = ReportCache(store)

    class Handler(BaseHTTPRequestHandler):
        server_version = "hangdump-serve"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args) -> None:
            pass

        def _send(self, status: int, body: str, ctype: str, csp: str | None = None, head: bool = False) -> None:
            data = body.encode("utf-8", errors="replace")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("X-Frame-Options", "DENY")
            if csp:
                self.send_header("Content-Security-Policy", csp)
            self.end_headers()
            if not head:
                self.wfile.write(data)

        def _text(self, status: int, text: str, head: bool = False) -> None:
            self._send(status, text + "\n", "text/plain; charset=utf-8", head=head)

        def _html(self, html: str, head: bool) -> None:
            self._send(HTTPStatus.OK, html, "text/html; charset=utf-8", render.content_security_policy(
                render.asset("report.js")), head=head)

        def do_HEAD(self) -> None:
            self.do_GET(head=True)

        def do_GET(self, head: bool = False) -> None:
            if check_host and not is_loopback(host_of(self.headers.get("Host") or "")):
                self._text(HTTPStatus.FORBIDDEN, "hangdump serve answers only to localhost", head)
                return
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            path = unquote(url.path)
            try:
                flt = _filter(query)
                if path in ("/", "/index.html"):
                    key = tuple(sorted((k, tuple(v)) for k, v in query.items()))
                    self._html(cache.report(flt, key), head)
                elif path.startswith("/capture/"):
                    self._html(render.render_capture(store.get(path[len("/capture/"):])), head)
                elif path in ("/export/folded", "/export/speedscope.json"):
                    stacks = build.collect(store, flt, progress=False).stacks()
                    if path.endswith("folded"):
                        self._send(HTTPStatus.OK, export.to_folded(stacks), "text/plain; charset=utf-8", head=head)
                    else:
                        self._send(HTTPStatus.OK, export.to_speedscope([("all captures", stacks)]),
                                   "application/json", head=head)
                else:
                    self._text(HTTPStatus.NOT_FOUND, f"no page {path}", head)
            except HangdumpError as exc:
                self._text(HTTPStatus.NOT_FOUND if "no capture" in str(exc) else HTTPStatus.BAD_REQUEST,
                           exc.one_line(), head)

        def _read_only(self) -> None:
            self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
            self.send_header("Allow", "GET, HEAD")
            self.send_header("Content-Length", "0")
            self.end_headers()

        do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _read_only

    return Handler


class _V6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def make_server(store: LocalStore, host: str = "127.0.0.1", port: int = 8642) -> ThreadingHTTPServer:
    """A server ready to ``serve_forever()``; port 0 picks a free one (see ``server.server_address``)."""
    handler = make_handler(store, check_host=is_loopback(host))
    server_cls = _V6Server if ":" in host else ThreadingHTTPServer
    server = server_cls((host, port), handler)
    server.daemon_threads = True
    return server

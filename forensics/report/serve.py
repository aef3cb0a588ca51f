"""Browse the live store: the report's pages over HTTP, read-only, on 127.0.0.1 unless told otherwise.

    /                          the report (query: since, until, host, pid), rebuilt when the store changes
    /capture/ID                one capture's full view: ID is a capture id, looked up as an id, never as a path
    /export/folded             folded stacks (query as above, plus cluster)
    /export/speedscope.json    speedscope file

Only GET and HEAD are answered; anything else is 405. Requests whose Host header is not a loopback
name are refused while bound to loopback, so a web page cannot reach the store by DNS rebinding.
Every unknown capture gets the same 404, whatever the store holds, so nothing can be probed.

Connections: one selector loop owns every socket; an idle keep-alive connection costs a file descriptor,
not a thread, and is closed after ``idle_timeout``. A connection with a request to read goes to a
bounded pool of workers, which answers what it has read and gives the connection back. A request with
a body (which nothing here accepts) is refused and its connection closed, so a body can never be
read as a second request.
"""
from __future__ import annotations

import contextlib
import ipaddress
import queue
import selectors
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, unquote, urlsplit

from forensics.errors import HangdumpError, UsageError
from forensics.report import build, export, render
from forensics.store.local import Filter, LocalStore
from forensics.store.select import label

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", "[::1]"}
NO_CAPTURE = "no such capture in this store"


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

    def report(self, flt: Filter, key: tuple) -> str:
        fp = self.store.fingerprint()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] == fp:
                return hit[1]
        html = build.build_report(
            self.store, flt, title="hangdump: live store", scope=f"store {label(self.store)}", progress=False
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


def make_handler(store: LocalStore, check_host: bool, request_timeout: float) -> type[BaseHTTPRequestHandler]:
    cache = ReportCache(store)

    class Handler(BaseHTTPRequestHandler):
        """One connection's HTTP state; the server calls ``handle_one_request`` once per readable request."""

        server_version = "hangdump-serve"
        protocol_version = "HTTP/1.1"
        timeout = request_timeout  # each read and write of a request, so a stalled client frees its worker

        def __init__(self, sock: socket.socket, address, server) -> None:
            self.request, self.client_address, self.server = sock, address, server
            self.setup()

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
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if not head:
                self.wfile.write(data)

        def _text(self, status: int, text: str, head: bool = False) -> None:
            self._send(status, text + "\n", "text/plain; charset=utf-8", head=head)

        def _html(self, html: str, head: bool) -> None:
            self._send(HTTPStatus.OK, html, "text/html; charset=utf-8", render.content_security_policy(
                render.asset("report.js")), head=head)

        def _has_body(self) -> bool:
            return "Transfer-Encoding" in self.headers or self.headers.get("Content-Length", "0").strip() != "0"

        def do_HEAD(self) -> None:
            self.do_GET(head=True)

        def do_GET(self, head: bool = False) -> None:
            if self._has_body():  # unread, it would be parsed as the next request: refuse it and hang up
                self.close_connection = True
                self._text(HTTPStatus.BAD_REQUEST, "hangdump serve accepts no request body", head)
                return
            if check_host and not is_loopback(host_of(self.headers.get("Host") or "")):
                self._text(HTTPStatus.FORBIDDEN, "hangdump serve answers only to localhost", head)
                return
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            try:
                if url.path.startswith("/capture/"):
                    capture = store.find(unquote(url.path[len("/capture/"):]))
                    if capture is None:
                        self._text(HTTPStatus.NOT_FOUND, NO_CAPTURE, head)
                    else:
                        self._html(render.render_capture(capture), head)
                    return
                path = unquote(url.path)
                flt = _filter(query)
                if path in ("/", "/index.html"):
                    key = tuple(sorted((k, tuple(v)) for k, v in query.items()))
                    self._html(cache.report(flt, key), head)
                elif path in ("/export/folded", "/export/speedscope.json"):
                    stacks = build.collect(store, flt, progress=False).stacks()
                    if path.endswith("folded"):
                        self._send(HTTPStatus.OK, export.to_folded(stacks), "text/plain; charset=utf-8", head=head)
                    else:
                        self._send(HTTPStatus.OK, export.to_speedscope([("all captures", stacks)]),
                                   "application/json", head=head)
                else:
                    self._text(HTTPStatus.NOT_FOUND, "no such page", head)
            except UsageError as exc:
                self._text(HTTPStatus.BAD_REQUEST, exc.one_line(), head)
            except HangdumpError as exc:
                self._text(HTTPStatus.INTERNAL_SERVER_ERROR, exc.one_line(), head)

        def _read_only(self) -> None:
            self.close_connection = True  # its body, if any, is never read
            self.send_response(HTTPStatus.METHOD_NOT_ALLOWED)
            self.send_header("Allow", "GET, HEAD")
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()

        do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _read_only

    return Handler


class Server:
    """The selector loop and its worker pool; ``serve_forever`` until ``stop`` (safe from a signal handler)."""

    def __init__(self, store: LocalStore, host: str = "127.0.0.1", port: int = 8642, *, workers: int = 8,
                 idle_timeout: float = 15.0, request_timeout: float = 10.0, max_connections: int = 512) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.listener = socket.socket(family, socket.SOCK_STREAM)
        try:
            self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.listener.bind((host, port))
            self.listener.listen(128)
        except OSError:
            self.listener.close()
            raise
        self.listener.setblocking(False)
        self.server_address = self.listener.getsockname()
        self.handler = make_handler(store, is_loopback(host), request_timeout)
        self.idle_timeout = idle_timeout
        self.max_connections = max_connections
        self.workers = workers
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._returned: queue.SimpleQueue = queue.SimpleQueue()
        self._idle: dict[socket.socket, tuple[BaseHTTPRequestHandler, float]] = {}  # in the selector: since when
        self._stopping = False
        self._stopped = threading.Event()

    def stop(self) -> None:
        """Make ``serve_forever`` return (safe from a signal handler: it only sets a flag and wakes the loop)."""
        self._stopping = True
        self._wake()

    def shutdown(self) -> None:
        """Stop and wait until ``serve_forever`` has returned (as socketserver's servers do; not from the loop)."""
        self.stop()
        self._stopped.wait()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full: the loop is awake already
            self._wake_w.send(b"x")

    def serve_forever(self) -> None:
        sel = self._selector
        sel.register(self.listener, selectors.EVENT_READ)
        sel.register(self._wake_r, selectors.EVENT_READ)
        with ThreadPoolExecutor(self.workers, thread_name_prefix="hangdump-serve") as pool:
            try:
                while not self._stopping:
                    for key, _ in sel.select(self._next_expiry()):
                        if key.fileobj is self.listener:
                            self._accept()
                        elif key.fileobj is self._wake_r:
                            with contextlib.suppress(OSError):
                                self._wake_r.recv(4096)
                        else:
                            sock = key.fileobj
                            handler, _ = self._idle.pop(sock)
                            sel.unregister(sock)
                            pool.submit(self._serve, handler)
                    self._take_back()
                    self._expire()
            finally:
                for sock in list(self._idle):
                    self._close(sock)
                pool.shutdown(wait=True, cancel_futures=True)  # requests under way are answered
                self._take_back()
                self._stopped.set()

    def _next_expiry(self) -> float | None:
        if not self._idle:
            return None
        return max(0.0, min(t for _, t in self._idle.values()) + self.idle_timeout - time.monotonic())

    def _accept(self) -> None:
        while True:
            try:
                sock, address = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # out of file descriptors, say: make room and take it on the next round
                self._close_oldest()
                return
            if len(self._idle) >= self.max_connections:
                self._close_oldest()
            try:
                handler = self.handler(sock, address, self)
            except OSError:
                sock.close()
                continue
            self._park(handler)

    def _park(self, handler: BaseHTTPRequestHandler) -> None:
        sock = handler.connection
        self._idle[sock] = (handler, time.monotonic())
        self._selector.register(sock, selectors.EVENT_READ)

    def _take_back(self) -> None:
        while True:
            try:
                handler = self._returned.get_nowait()
            except queue.Empty:
                return
            if self._stopping:
                self._close_handler(handler)
            else:
                self._park(handler)

    def _expire(self) -> None:
        now = time.monotonic()
        for sock, (_, since) in list(self._idle.items()):
            if now - since >= self.idle_timeout:
                self._close(sock)

    def _close_oldest(self) -> None:
        if self._idle:
            self._close(min(self._idle, key=lambda s: self._idle[s][1]))

    def _close(self, sock: socket.socket) -> None:
        handler, _ = self._idle.pop(sock)
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)
        self._close_handler(handler)

    @staticmethod
    def _close_handler(handler: BaseHTTPRequestHandler) -> None:
        with contextlib.suppress(OSError):
            handler.rfile.close()
            handler.connection.close()

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        """In a worker: answer the requests this connection has sent, then hand it back (or close it)."""
        sock = handler.connection
        try:
            while True:
                handler.close_connection = True
                handler.handle_one_request()
                if handler.close_connection or self._stopping:
                    break
                sock.setblocking(False)  # a pipelined request already here? answer it now, else go idle
                pending = handler.rfile.peek(1)
                sock.settimeout(handler.timeout)
                if not pending:
                    self._returned.put(handler)
                    self._wake()
                    return
        except OSError:  # the client went away mid-answer (broken pipe, reset): nothing to tell anyone
            pass
        except Exception as exc:  # noqa: BLE001 - a bug answering one request must not stop the server
            print(f"hangdump serve: error answering {handler.client_address}: {exc!r}", file=sys.stderr)
        self._close_handler(handler)

    def server_close(self) -> None:
        for s in (self.listener, self._wake_r, self._wake_w):
            s.close()
        self._selector.close()


def make_server(store: LocalStore, host: str = "127.0.0.1", port: int = 8642, **options) -> Server:
    """A server ready to ``serve_forever()``; port 0 picks a free one (see ``server.server_address``)."""
    return Server(store, host, port, **options)

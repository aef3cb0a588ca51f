"""lendwell's long-running services: the circulation request pool, the SIP2 gateway for the kiosks, the OPAC
search endpoint, and the housekeeping loop."""
from __future__ import annotations

import asyncio
import selectors
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor


def _warm(n: int) -> int:
    return n


def serve_circulation_pool(ctx) -> None:
    """Requests are handed to a pool of circulation workers; the main thread waits for SIGTERM."""
    ctx.expect(1)
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGHUP})
    workers = int(ctx.get("workers", 3))
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="circ")
    for f in [pool.submit(_warm, n) for n in range(workers * 2)]:
        f.result()
    ctx.checkpoint("sigwait")
    while signal.sigwait({signal.SIGTERM, signal.SIGHUP}) == signal.SIGHUP:
        pass
    pool.shutdown()


class SipGateway:
    """The ILS side of SIP2 for the kiosks: one selector loop over the listeners and the kiosks' sockets."""

    def __init__(self, listeners: int) -> None:
        self.sel = selectors.DefaultSelector()
        for _ in range(listeners):
            srv = socket.create_server(("127.0.0.1", 0))
            srv.setblocking(False)
            self.sel.register(srv, selectors.EVENT_READ, self.accept)

    def accept(self, srv: socket.socket) -> None:
        conn, _ = srv.accept()
        conn.setblocking(False)
        self.sel.register(conn, selectors.EVENT_READ, self.answer)

    def answer(self, conn: socket.socket) -> None:
        msg = conn.recv(4096)
        if not msg:
            self.sel.unregister(conn)
            conn.close()
            return
        conn.sendall(b"98YYYNYN01000320261202    1200002.00AOCENTRAL|\r")

    def serve(self, ctx) -> None:
        ctx.checkpoint("epoll")
        while True:
            for key, _ in self.sel.select():
                key.data(key.fileobj)


def serve_sip_gateway(ctx) -> None:
    ctx.expect(1)
    SipGateway(int(ctx.get("listeners", 1))).serve(ctx)


async def _search(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    query = await reader.readline()
    writer.write(b'{"hits": [], "q": %s}\n' % query.strip())
    await writer.drain()
    writer.close()


async def _opac(ctx) -> None:
    server = await asyncio.start_server(_search, "127.0.0.1", 0)
    ctx.checkpoint("epoll")
    async with server:
        await server.serve_forever()


def serve_opac(ctx) -> None:
    ctx.expect(1)
    asyncio.run(_opac(ctx))


def sweep_expired_holds(ctx) -> int:
    return ctx.backlog.qsize()


def housekeeping(ctx) -> None:
    """Expire holds not picked up, every few seconds, until asked to stop."""
    ctx.expect(1)
    ctx.checkpoint("futex")
    stop = threading.Event()
    while not stop.wait(5):
        sweep_expired_holds(ctx)
        time.sleep(0)

"""The long-running services: the tally listener (UDP), the EPG partner API (asyncio), the ingest drop-folder
watcher and the clip event consumers."""
from __future__ import annotations

import asyncio
import queue
import selectors
import socket
import threading


def listen_tally_udp(ctx):
    ctx.arm(1)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    states = {}
    ctx.mark("blocked")
    while True:
        for key, _ in sel.select(timeout=ctx.opts.get("serve_poll", 1.0)):
            data = key.fileobj.recv(512)
            states[data[:2]] = data[2:]


async def _handle_partner(reader, writer):
    await reader.readline()
    writer.write(b"HTTP/1.0 204 No Content\r\n\r\n")
    await writer.drain()
    writer.close()


async def serve_epg_api(ctx):
    ctx.arm(1)
    server = await asyncio.start_server(_handle_partner, "127.0.0.1", 0)
    ctx.mark("blocked")
    async with server:
        await server.serve_forever()


def scan_drop_folder(seen):
    return seen


def watch_ingest_drop(ctx):
    ctx.arm(1)
    stop = threading.Event()
    seen = set()
    ctx.mark("blocked")
    while not stop.wait(ctx.opts.get("sweep_every", 60.0)):
        scan_drop_folder(seen)


def consume_clip_events(events, ctx):
    ctx.mark("futex")
    while True:
        event = events.get()
        if event is None:
            break


def run_clip_consumers(ctx):
    n = ctx.opts.get("workers", 2)
    ctx.arm(n)
    events = queue.Queue()
    consumers = [threading.Thread(target=consume_clip_events, args=(events, ctx), name=f"clip-events-{k}")
                 for k in range(n)]
    for t in consumers:
        t.start()
    for t in consumers:
        t.join()

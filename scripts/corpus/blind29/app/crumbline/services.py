"""The long-running crumbline services: the store portal's order socket, the oven feed for the line displays,
the HACCP sweeper, the order event consumers and the scale telemetry listener. Each sits idle until work
arrives."""
import asyncio
import queue
import selectors
import socket
import socketserver
import threading


class _OrderHandler(socketserver.StreamRequestHandler):
    def handle(self):
        for line in self.rfile:
            self.wfile.write(b"ACK " + line)


def serve_store_portal(ctx):
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _OrderHandler)
    server.daemon_threads = True
    ctx.ready("blocked")
    server.serve_forever(poll_interval=ctx.opts.get("serve_poll", 0.5))
    return 0


async def _display_client(reader, writer):
    while await reader.readline():
        writer.write(b"ok\n")
    writer.close()


async def _publish_zone_temps(every):
    while True:
        await asyncio.sleep(every)


async def serve_oven_feed(ctx):
    server = await asyncio.start_server(_display_client, "127.0.0.1", 0)
    publisher = asyncio.ensure_future(_publish_zone_temps(ctx.opts.get("watch_every", 30.0)))
    ctx.ready("blocked")
    async with server:
        await server.serve_forever()
    publisher.cancel()
    return 0


def sweep_expired_logs():
    return 0


def run_haccp_sweeper(ctx):
    stop = threading.Event()
    ctx.ready("blocked")
    while not stop.wait(ctx.opts.get("sweep_every", 120.0)):
        sweep_expired_logs()
    return 0


def _consume(events, handled):
    while True:
        event = events.get()
        handled.append(event)
        events.task_done()


def run_order_consumers(ctx):
    events = queue.Queue()
    handled = []
    for i in range(ctx.opts.get("workers", 2)):
        threading.Thread(target=_consume, args=(events, handled), name=f"order-consumer-{i}", daemon=True).start()
    shutdown = threading.Event()  # set by the SIGTERM handler of the service unit
    ctx.ready("blocked")
    shutdown.wait()
    events.join()
    return 0


def run_scale_listener(ctx):
    sel = selectors.DefaultSelector()
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    sel.register(sock, selectors.EVENT_READ)
    readings = []
    ctx.ready("blocked")
    while True:
        for key, _ in sel.select(timeout=ctx.opts.get("serve_poll", 1.0) * 10):
            data, _ = key.fileobj.recvfrom(2048)
            readings.append(data)

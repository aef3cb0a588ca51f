#!/usr/bin/env python3
"""Future.result() with no timeout on a pool task stuck in socket.makefile().readline().

The task LineClient.request() sends a command and reads the reply line through
``sock.makefile("rb").readline()`` on a socket with no timeout; ``fake-redis`` accepts and never
answers. The main thread waits in ``Future.result()``; two pool workers stay idle.
"""
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.


def never_answer(server, accepted):
    conn, _ = server.accept()
    accepted.append(conn)  # keep it open, never write
    threading.Event().wait()


class LineClient:
    def __init__(self, port):
        self.port = port

    def request(self, command):
        sock = socket.create_connection(("127.0.0.1", self.port))
        sock.sendall(command + b"\r\n")
        reply = sock.makefile("rb")
        return reply.readline()  # blocks: no timeout, no answer


def lookup_session(client, pool):
    future = pool.submit(client.request, b"GET session:42")
    return future.result()


def main():
    app.boot("pool_readline", __doc__.splitlines()[0])
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = server.getsockname()[1]
    accepted = []
    app.start("fake-redis", "socket-accept", never_answer, server, accepted)
    pool = ThreadPoolExecutor(max_workers=3, thread_name_prefix=f"ThreadPoolExecutor-3{app.fx.SUFFIX}")
    for f in [pool.submit(int) for _ in range(6)]:
        f.result()
    ev = threading.Event()

    def announce():
        while not accepted:
            ev.wait(0.01)
        ev.wait(0.2)
        for t in threading.enumerate():
            if t.name.startswith(pool._thread_name_prefix):
                app.record(t, "idle")
        app.ready(port=port)

    threading.Thread(target=announce, daemon=True).start()
    app.EXPECT["MainThread"] = "pool-wait"
    lookup_session(LineClient(port), pool)


if __name__ == "__main__":
    main()

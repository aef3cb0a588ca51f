"""Tide gauge feed and the harmonic tide table solver."""
import socket
import threading

from quaysync import lifecycle


class TideFeed:
    def __init__(self, port):
        self.port = port
        self.levels = []
        self._running = True
        self.connected = threading.Event()
        self._reader = threading.Thread(target=self.read_gauge, name="tide-gauge", daemon=True)

    def read_gauge(self):
        sock = socket.create_connection(("127.0.0.1", self.port))
        self.connected.set()
        lifecycle.enter("gauge")
        while True:
            frame = sock.recv(16)
            if not self._running:
                break
            self.levels.append(frame)

    def start(self):
        self._reader.start()

    def stop(self):
        self._running = False
        lifecycle.enter("restart")
        self._reader.join()


def restart_feed(opts):
    lifecycle.expect(gauge="recv", restart="futex")
    feed = TideFeed(opts["port"])
    feed.start()
    feed.connected.wait(10)
    feed.stop()


def solve_harmonics(opts):
    lifecycle.expect(solve="running")
    amplitude, drift = 1.0, 1e-9
    residual = 1.0
    lifecycle.enter("solve")
    while residual > 1e-12:
        amplitude = (amplitude + 2.0 / amplitude) / 2.0
        residual = abs(amplitude * amplitude - 2.0) + drift
    return amplitude

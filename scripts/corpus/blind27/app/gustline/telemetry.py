"""The telemetry relay: a local listener the turbine edge agents forward 1 Hz telemetry to, relayed upstream in
batches; rotated every night with the relay's certificates."""
from __future__ import annotations

import logging
import socket
import threading

from gustline import notify

log = logging.getLogger("gustline.telemetry")


class TelemetryRelay(threading.Thread):
    def __init__(self, name: str) -> None:
        super().__init__(name=name)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listening = threading.Event()
        self.stopping = False
        self.batches = 0

    def run(self) -> None:
        self.listening.set()
        notify.arrive("blocked")
        while True:
            conn, _peer = self.listener.accept()
            if self.stopping:
                conn.close()
                break
            with conn:
                while conn.recv(65536):
                    self.batches += 1

    def shutdown_relay(self) -> None:
        self.stopping = True
        notify.arrive("futex")
        self.join()
        self.listener.close()


def rotate_telemetry_relay(opts: dict) -> int:
    """Stop the running relay and start one with the new certificates."""
    notify.expect(2)
    old = TelemetryRelay(f"telemetry-relay-{opts.get('park', 1)}")
    old.start()
    old.listening.wait(10)
    log.info("relay listening on %s", old.listener.getsockname())
    old.shutdown_relay()
    new = TelemetryRelay(f"telemetry-relay-{opts.get('park', 1) + 1}")
    new.start()
    return old.batches

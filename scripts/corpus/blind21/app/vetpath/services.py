"""Long-running vetpath services: the front-desk check-in API, the vaccine reminder scheduler and the
imaging conversion pool."""
from __future__ import annotations

import socketserver
import threading
from concurrent.futures import ProcessPoolExecutor

from . import runtime


class CheckInHandler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for line in self.rfile:
            self.wfile.write(b"OK " + line)


class FrontDeskServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def front_desk_api(cfg):
    with FrontDeskServer(("127.0.0.1", 0), CheckInHandler) as server:
        runtime.announce("poll")
        server.serve_forever(poll_interval=cfg.get("poll_interval", 0.5))


def due_reminders(clinic: int) -> list:
    return []


def reminder_scheduler(cfg):
    stop = threading.Event()
    runtime.announce("futex")
    while not stop.wait(cfg.get("sweep_every", 300.0)):
        for reminder in due_reminders(cfg.get("unit", 1)):
            print(reminder)


def _convert(study: str) -> str:
    return study.lower()


def imaging_conversion_pool(cfg):
    shutdown = threading.Event()
    with ProcessPoolExecutor(max_workers=cfg.get("workers", 2)) as pool:
        list(pool.map(_convert, [f"S{n}" for n in range(cfg.get("workers", 2))]))
        runtime.announce("futex")
        shutdown.wait()

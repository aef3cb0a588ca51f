"""The farm's long-running services, idle between work: the thumbnail pool, the encoder watchdog and the
job consumer that takes dispatches from the scheduler's push socket."""
from __future__ import annotations

import queue
import signal
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

from .runtime import me
from .telemetry import STOP


def render_thumbnail(frame: int) -> int:
    return frame * 2


def serve_thumbnail_pool(workers: int, warm: int, prefix: str, ready) -> None:
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=prefix)
    for f in [pool.submit(render_thumbnail, k) for k in range(max(warm, workers))]:
        f.result()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGHUP})
    ready([me("blocked")])
    while signal.sigwait({signal.SIGTERM, signal.SIGHUP}) == signal.SIGHUP:
        pass  # SIGHUP: reopen logs
    pool.shutdown()


def check_encoders(seen: dict) -> None:
    seen["checks"] = seen.get("checks", 0) + 1


def run_watchdog(ready, every: float = 5.0) -> None:
    seen: dict = {}
    ready([me("futex")])
    while not STOP.wait(every):
        check_encoders(seen)


def accept_dispatches(listener: socket.socket, inbox: queue.Queue) -> None:
    while True:
        conn, _ = listener.accept()
        with conn:
            inbox.put(conn.recv(65536))


def handle_dispatch(job) -> None:
    return None


def consume_jobs(queued: int, ready) -> None:
    inbox: queue.Queue = queue.Queue()
    for k in range(queued):
        inbox.put(f"job-{k}".encode())
    listener = socket.create_server(("127.0.0.1", 0))
    threading.Thread(target=accept_dispatches, args=(listener, inbox), name="dispatch-listener",
                     daemon=True).start()
    reported = False
    while True:
        if inbox.empty() and not reported:
            ready([me("futex")])
            reported = True
        handle_dispatch(inbox.get())

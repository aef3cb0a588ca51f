"""Long-running services: the bag intake listener, the turnaround desk, the stand supervisor, the loader pool,
the dispatch loop. Idle while nothing arrives."""
import asyncio
import queue
import selectors
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bagtrack import readiness
from bagtrack.registry import job


def serve_intake(listener):
    sel = selectors.DefaultSelector()
    sel.register(listener, selectors.EVENT_READ)
    readiness.probe.go("blocked")
    while True:
        for key, _ in sel.select():
            conn, _ = key.fileobj.accept()
            conn.close()


@job("intake-listener")
def intake_listener(knobs):
    serve_intake(socket.create_server(("127.0.0.1", 0)))


def _desk_worker(inbox, stop):
    while not stop.is_set():
        try:
            inbox.get(timeout=1.0)
        except queue.Empty:
            continue


@job("turnaround-desk")
def turnaround_desk(knobs):
    shutdown = threading.Event()
    inbox = queue.Queue()
    for k in range(knobs.get("workers", 2)):
        threading.Thread(target=_desk_worker, args=(inbox, shutdown), name=f"desk-{k}", daemon=True).start()
    readiness.probe.go("futex")
    shutdown.wait()


class StandWatch(threading.Thread):
    def __init__(self, every):
        super().__init__(name="stand-watch")
        self.every = every
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(self.every):
            pass


@job("stand-supervisor")
def stand_supervisor(knobs):
    watch = StandWatch(knobs.get("poll_interval", 1.0))
    watch.start()
    readiness.probe.go("futex")
    watch.join()


@job("loader-pool")
def loader_pool(knobs):
    pool = ThreadPoolExecutor(knobs.get("workers", 2), thread_name_prefix=knobs.get("pool_prefix", ""))
    for f in [pool.submit(time.sleep, 0.01) for _ in range(knobs.get("workers", 2) * 2)]:
        f.result()
    readiness.probe.go("blocked")
    while True:
        time.sleep(5.0)


@job("dispatch-loop")
def dispatch_loop(knobs):
    loop = asyncio.new_event_loop()
    readiness.probe.go("blocked")
    loop.run_forever()

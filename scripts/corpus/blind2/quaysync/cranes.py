"""Ship-to-shore cranes: reservations per vessel, the PLC link, and the dispatch pool."""
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

from quaysync import berths, lifecycle

_crane_lock = threading.Lock()
_cranes = {}


def reserve_crane_for(vessel):
    with _crane_lock:
        _cranes[vessel] = f"STS-{len(_cranes) + 1}"


def release_crane(vessel, crews):
    with _crane_lock:
        _cranes.pop(vessel, None)
        crews.wait(10)
        lifecycle.enter("release")
        berths.free_berth_slot(vessel)


class PlcSession:
    def __init__(self, port):
        self.port = port
        self._io = threading.Lock()
        self._sock = None

    def poll_registers(self, unit):
        with self._io:
            if self._sock is None:
                self._sock = socket.create_connection(("127.0.0.1", self.port))
            self._sock.sendall(bytes([unit, 3, 0, 0, 0, 6]))
            lifecycle.enter("poll")
            return self._sock.recv(12)


def read_hoist_load(session, unit):
    return session.poll_registers(unit)


def poll_plc(opts):
    lifecycle.expect(poll="recv")
    session = PlcSession(opts["port"])
    for n in range(opts.get("queued", 0)):
        threading.Thread(target=read_hoist_load, args=(session, n + 2), name=f"hoist-{n}", daemon=True).start()
    session.poll_registers(1)


class CraneDispatcher:
    def __init__(self, workers, prefix):
        self.workers = workers
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=prefix)
        self._shutdown = threading.Event()
        self.ticks = 0

    def _warm(self, gate):
        gate.wait(10)

    def serve(self):
        gate = threading.Barrier(self.workers)
        for job in [self._pool.submit(self._warm, gate) for _ in range(self.workers)]:
            job.result()
        lifecycle.enter("serve")
        while not self._shutdown.wait(2.0):
            self.ticks += 1


def serve_dispatch(opts):
    lifecycle.expect(serve="futex")
    CraneDispatcher(opts.get("workers", 3), opts.get("pool_prefix", "")).serve()

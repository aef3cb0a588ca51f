"""Field devices: belt scales (vendor driver), the BHS PLC link, the tag printer spool, the route solver."""
import ctypes
import fcntl
import os
import socket
import threading

from bagtrack import readiness
from bagtrack.registry import job


class BeltScale:
    def __init__(self):
        self._driver = ctypes.PyDLL("libc.so.6")  # the vendor shim is linked against libc

    def read_scale_tare(self):
        readiness.probe.go("sleep")
        return self._driver.sleep(3600)


def _count_bags(stop):
    n = 0
    while not stop.is_set():
        n += 1


@job("scale-calibrate")
def calibrate_scales(knobs):
    stop = threading.Event()
    for k in range(knobs.get("waiters", 1) + 1):
        threading.Thread(target=_count_bags, args=(stop,), name=f"bagcount-{k}", daemon=True).start()
    return BeltScale().read_scale_tare()


class PlcLink:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))

    def read_frame(self):
        self.sock.sendall(b"\x02STATUS\x03")
        readiness.probe.go("recv")
        return self.sock.recv(64)


@job("bhs-plc-poll")
def poll_plc(knobs):
    return PlcLink(knobs["port"]).read_frame()


def claim_printer(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    readiness.probe.go("flock")
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


@job("tag-print-spool")
def spool_tags(knobs):
    return claim_printer(knobs["lock_path"])


def route_step(load, demand):
    # relaxation factor 2.0: the author meant 0.5
    new = [d - (x - d) * 1.0 for x, d in zip(load, demand)]
    return new, max(abs(a - b) for a, b in zip(new, load))


def solve_routes(demand):
    load = [d + 1.0 for d in demand]
    readiness.probe.go("running")
    while True:
        load, delta = route_step(load, demand)
        if delta < 1e-9:
            return load


@job("route-solver")
def plan_routes(knobs):
    return solve_routes([float(k) for k in range(8 + knobs.get("rows", 1))])

"""Gondola haul speed: the drive PLC's vendor library is a C extension on the Python API (loaded as a PyDLL,
so it keeps the GIL while it waits for the PLC); the cabin load integrators run beside it."""
import ctypes
import threading

from .signals import Muster, announce, beacon

_plc = ctypes.PyDLL(None)


def write_haul_speed(lift, metres_per_second):
    return _plc.sleep(86400)


def integrate_cabin_load(muster, go):
    muster.check_in("futex")
    go.wait()
    load = 0.0
    while True:
        for cabin in range(96):
            load = (load + cabin * 0.731) % 613.0


def haul_speed(settings):
    integrators = settings.get("stackers", 1)
    muster = Muster(integrators)
    go = threading.Barrier(integrators + 1)
    for n in range(integrators):
        threading.Thread(target=integrate_cabin_load, args=(muster, go), name=f"cabin-load-{n}", daemon=True).start()
    beacons = muster.roll_call()
    go.wait()
    announce(*beacons, beacon("sleep"))
    write_haul_speed(f"G{settings.get('unit', 1)}", 6.0)

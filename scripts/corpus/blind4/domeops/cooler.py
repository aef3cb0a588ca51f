"""CCD cooler: the vendor's TEC driver is a C extension built against the Python API (loaded as a PyDLL)."""
import ctypes
import threading

from .probes import announce, enlist, gather

_driver = ctypes.PyDLL(None)


def stack_subframes(add, go):
    add(enlist("futex"))
    go.wait()
    acc = 0
    while True:
        for px in range(4096):
            acc = (acc + px * px) % 65521


def set_ccd_setpoint(celsius):
    return _driver.sleep(86400)


def cooler_setpoint(opts):
    stackers = opts.get("stackers", 1)
    add, wait_all = gather(stackers)
    go = threading.Barrier(stackers + 1)
    for n in range(stackers):
        threading.Thread(target=stack_subframes, args=(add, go), name=f"stacker-{n}", daemon=True).start()
    entries = wait_all()
    go.wait()
    announce(*entries, enlist("sleep"))
    set_ccd_setpoint(-20)

"""Chlorine dosing: the metering pump's vendor driver is a C extension built on the Python API (loaded as a
PyDLL, so it never releases the GIL); the demand integrators run beside it."""
import ctypes
import threading

from .readiness import Rendezvous, expect, report_ready

_vendor = ctypes.PyDLL(None)


def write_stroke_rate(pump, strokes_per_minute):
    return _vendor.sleep(86400)


def integrate_chlorine_demand(arrivals, start):
    arrivals.arrive("futex")
    start.wait()
    demand = 0.0
    while True:
        for minute in range(1440):
            demand = (demand + minute * 0.0137) % 97.0


def dosing_setpoint(opts):
    integrators = opts.get("stackers", 1)
    arrivals = Rendezvous(integrators)
    start = threading.Barrier(integrators + 1)
    for n in range(integrators):
        threading.Thread(target=integrate_chlorine_demand, args=(arrivals, start), name=f"cl2-demand-{n}",
                         daemon=True).start()
    entries = arrivals.wait()
    start.wait()
    report_ready(*entries, expect("sleep"))
    write_stroke_rate(f"MP-{opts.get('unit', 1)}", 42)

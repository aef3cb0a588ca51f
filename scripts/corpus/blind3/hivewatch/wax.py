"""Wax-moth sensor decoder (vendor C library, called holding the GIL)."""
import ctypes
import threading

from .signals import me, ready


def _crunch(entries, go):
    entries.append(me("futex"))
    go.wait()
    x = 0
    while True:
        x = (x + 1) % 1000003


def decode_wax_sensor(opts):
    lib = ctypes.PyDLL(None)
    entries, go = [], threading.Barrier(opts.get("crunchers", 1) + 1)
    for n in range(opts.get("crunchers", 1)):
        threading.Thread(target=_crunch, args=(entries, go), name=f"wax-decoder-{n}", daemon=True).start()
    go.wait()
    ready(*entries, me("sleep"))
    lib.sleep(86400)


def wax_scan(opts):
    decode_wax_sensor(opts)

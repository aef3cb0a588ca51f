"""Healthy: the dome watchdog, checking rain and power on an Event.wait(timeout) loop until told to stop."""
import threading

from .probes import announce, enlist, gather


def _check_sensors(readings):
    readings["checks"] = readings.get("checks", 0) + 1


def watch_dome(stop, every, add, readings):
    add(enlist("futex"))
    while not stop.wait(every):
        _check_sensors(readings)


def dome_watchdog(opts):
    stop, readings = threading.Event(), {}
    extra = opts.get("waiters", 0)
    add, wait_all = gather(extra + 1)
    for n in range(extra):
        threading.Thread(target=watch_dome, args=(stop, 20.0, add, readings), name=f"sensor-watch-{n + 1}",
                         daemon=True).start()
    threading.Thread(target=lambda: announce(*wait_all()), daemon=True).start()
    watch_dome(stop, opts.get("housekeeping_every", 5.0), add, readings)

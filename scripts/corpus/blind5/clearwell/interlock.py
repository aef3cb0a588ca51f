"""Pump changeover: the standby pump starts while the duty pump trips. Older sequences take the two interlocks
through the valve and pump modules; the changeover sequencer takes them in the order its steps name them."""
import threading

from . import pumps, valves
from .readiness import Rendezvous, report_ready


def hold_both(first, second, on_first=None):
    with first:
        if on_first is not None:
            on_first()
        with second:
            return True


def start_standby(valve_lock, pump_lock, on_first=None):
    return hold_both(valve_lock, pump_lock, on_first)


def stop_duty(valve_lock, pump_lock, on_first=None):
    return hold_both(pump_lock, valve_lock, on_first)


def pump_changeover(opts):
    both_held = threading.Barrier(2)
    arrivals = Rendezvous(2)

    def held():
        arrivals.arrive("futex")
        both_held.wait()

    unit = opts.get("unit", 1)
    if opts.get("lock_style") == "args":
        steps = [(start_standby, (valves.valve_bank_lock, pumps.pump_lock, held)),
                 (stop_duty, (valves.valve_bank_lock, pumps.pump_lock, held))]
    else:
        steps = [(valves.open_inlet_valve, (f"inlet-{unit}", 80.0, held)),
                 (pumps.trip_pump, (f"P-{unit}", f"inlet-{unit}", held))]
    threads = [threading.Thread(target=steps[0][0], args=steps[0][1], name=f"changeover-{unit}"),
               threading.Thread(target=steps[1][0], args=steps[1][1], name=f"pump-trip-{unit}")]
    for thread in threads:
        thread.start()
    report_ready(*arrivals.wait())
    for thread in threads:
        thread.join()

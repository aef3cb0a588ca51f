"""Filter wheel: exposures wait on the wheel's condition until the motor reports the requested slot."""
import threading

from .probes import announce, enlist, gather

SLOTS = ("L", "R", "G", "B", "Ha")
CATALOG = {"L": 0, "R": 1, "G": 2, "B": 3, "Ha": 4, "OIII": 5, "SII": 6}


class FilterWheel:
    def __init__(self, slots):
        self._cond = threading.Condition(threading.RLock())
        self.slots = slots
        self.position = 0
        self.faults = []

    def drive_to(self, index):
        with self._cond:
            if index >= len(self.slots):
                self.faults.append(f"slot {index} not fitted")
                return
            self.position = index
            self._cond.notify_all()

    def await_filter_position(self, index):
        with self._cond:
            while self.position != index:
                self._cond.wait()
            return self.slots[index]


def expose_through(wheel, band, add):
    add(enlist("futex"))
    return wheel.await_filter_position(CATALOG[band])


def filter_change(opts):
    wheel = FilterWheel(SLOTS)
    band = opts.get("band", "OIII")
    motor = threading.Thread(target=wheel.drive_to, args=(CATALOG[band],), name="wheel-motor")
    motor.start()
    motor.join()
    extra = opts.get("waiters", 0)
    add, wait_all = gather(extra + 1)
    for n in range(extra):
        threading.Thread(target=expose_through, args=(wheel, band, add), name=f"exposure-{n + 2}",
                         daemon=True).start()
    waiting = threading.Thread(target=lambda: announce(*wait_all()), daemon=True)
    waiting.start()
    expose_through(wheel, band, add)

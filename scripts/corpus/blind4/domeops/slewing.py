"""Night slew: the target slew and the wind-driven dome rotation run at once."""
import threading

from . import dome, mount
from .probes import announce, enlist, gather


def night_slew(opts):
    both_held = threading.Barrier(2)
    add, wait_all = gather(2)

    def slew():
        mount.slew_mount(opts.get("ra", 5.5), 22.0, on_axes_held=lambda: (add(enlist("futex")), both_held.wait()))

    def rotate():
        dome.rotate_dome(270.0, on_slit_held=lambda: (add(enlist("futex")), both_held.wait()))

    unit = opts.get("unit", 1)
    workers = [threading.Thread(target=slew, name=f"slew-{unit}"),
               threading.Thread(target=rotate, name=f"dome-rot-{unit}")]
    for w in workers:
        w.start()
    announce(*wait_all())
    for w in workers:
        w.join()

"""Hive inspection round: supers and frames are reorganised by two crews."""
import threading

from . import combs, frames
from .signals import me, ready


def inspection_round(opts):
    barrier = threading.Barrier(2)
    entries = []
    got = threading.Barrier(3)

    def crew_a():
        entries.append(me("futex"))
        got.wait()
        combs.stack_supers(barrier, frames)

    def crew_b():
        entries.append(me("futex"))
        got.wait()
        frames.rotate_frames(barrier, combs)

    ta = threading.Thread(target=crew_a, name=f"supers-crew-{opts.get('unit', 1)}")
    tb = threading.Thread(target=crew_b, name=f"frames-crew-{opts.get('unit', 1)}")
    ta.start()
    tb.start()
    got.wait()
    ready(*entries)
    ta.join()
    tb.join()

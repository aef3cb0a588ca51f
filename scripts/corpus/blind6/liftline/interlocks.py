"""Line restart after a stop: the drive comes back while the brake check runs. The legacy sequence goes through
the drive and brake modules; the restart sequencer takes the two locks in the order its steps list them."""
import threading

from . import brakes, drives
from .signals import Muster, announce


def acquire_pair(first, second, on_first=None):
    with first:
        if on_first is not None:
            on_first()
        with second:
            return True


def resume_line(drive_lock, brake_lock, on_first=None):
    return acquire_pair(drive_lock, brake_lock, on_first)


def stop_line(drive_lock, brake_lock, on_first=None):
    return acquire_pair(brake_lock, drive_lock, on_first)


def line_restart(settings):
    both_in = threading.Barrier(2)
    muster = Muster(2)

    def holding():
        muster.check_in("futex")
        both_in.wait()

    lift = f"C{settings.get('unit', 1)}"
    if settings.get("lock_style") == "args":
        steps = [(resume_line, (drives.drive_lock, brakes.brake_lock, holding)),
                 (stop_line, (drives.drive_lock, brakes.brake_lock, holding))]
    else:
        steps = [(drives.engage_drive, (lift, 2.3, holding)), (brakes.apply_service_brake, (lift, holding))]
    threads = [threading.Thread(target=steps[0][0], args=steps[0][1], name=f"restart-{lift}"),
               threading.Thread(target=steps[1][0], args=steps[1][1], name=f"brake-check-{lift}")]
    for thread in threads:
        thread.start()
    announce(*muster.roll_call())
    for thread in threads:
        thread.join()

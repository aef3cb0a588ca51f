"""Programme loudness metering on the playout output (EBU R128), with a calibration pass at start-up."""
from __future__ import annotations

import queue
import time
import threading


class LoudnessMeter:
    def __init__(self):
        self._lock = threading.RLock()
        self._reference = None
        self._integrated = -23.0

    def calibrate(self, reference):
        self._lock.acquire()
        if reference is None:
            return  # no reference tone on this output: keep the factory curve
        self._reference = reference
        self._lock.release()

    def serve_meter_commands(self, commands):
        for name, arg in iter(commands.get, None):
            getattr(self, name)(arg)

    def read_loudness_level(self, ctx):
        ctx.mark("futex")
        with self._lock:
            return self._integrated


def meter_programme_out(ctx):
    waiters = ctx.opts.get("waiters", 0)
    ctx.arm(1 + waiters)
    meter = LoudnessMeter()
    commands = queue.Queue()
    threading.Thread(target=meter.serve_meter_commands, args=(commands,), name="meter-control", daemon=True).start()
    commands.put(("calibrate", None))
    time.sleep(0.2)  # let the start-up calibration run first
    for n in range(waiters):
        threading.Thread(target=meter.read_loudness_level, args=(ctx,), name=f"meter-out-{n}", daemon=True).start()
    return meter.read_loudness_level(ctx)

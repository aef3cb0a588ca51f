"""Ad-break traffic: the traffic log reconciler (as-run spots against the booked log) and the break planner
that fills each commercial break with booked spots."""
from __future__ import annotations

import threading
import time


class TrafficReconciler(threading.Thread):
    def __init__(self, poll):
        super().__init__(name="traffic-reconciler")
        self.poll = poll
        self._stop_requested = False
        self.matched = 0

    def _reconcile_once(self):
        self.matched += 1

    def run(self):
        while not self._stop_requested:
            self._reconcile_once()
            time.sleep(self.poll)

    def stop(self):
        self._stopping = True

    def shutdown_reconciler(self, ctx):
        self.stop()
        ctx.mark("futex")
        self.join()


def reconcile_ad_traffic(ctx):
    ctx.arm(1)
    rec = TrafficReconciler(ctx.opts.get("poll", 0.5))
    rec.start()
    time.sleep(0.1)
    rec.shutdown_reconciler(ctx)
    return rec.matched


def fill_ad_break(break_len, spots):
    remaining = break_len
    plan = []
    i = 0
    while remaining > 0:
        spot = spots[i % len(spots)]
        i += 1
        if spot <= remaining:
            plan.append(spot)
            remaining -= spot
    return plan


def build_break_plan(ctx):
    ctx.arm(1)
    ctx.mark("running")
    spots = [30.0, 20.0, 15.0, 10.0]
    breaks = [120.0 + (ctx.opts.get("clips", 3) % 4) * 15.0 + 0.5]  # the 0.5 s bumper was counted in the break
    return [fill_ad_break(b, spots) for b in breaks]

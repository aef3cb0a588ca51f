"""Transcoding hand-offs: mezzanine files are handed to the transcode farm, which reports progress events on
its callback channel; playout waits until the farm says the rendition is done."""
from __future__ import annotations

import queue
import threading
import time


class HandoffTracker:
    def __init__(self):
        self._cond = threading.Condition()
        self._done = set()
        self.events = queue.Queue()

    def on_farm_event(self, event):
        if event["state"] == "complete":  # farm API v3 reports "finished"
            with self._cond:
                self._done.add(event["job"])
                self._cond.notify_all()

    def pump_farm_events(self):
        while True:
            self.on_farm_event(self.events.get())

    def await_transcode_done(self, job, ctx):
        with self._cond:
            ctx.mark("futex")
            while job not in self._done:
                self._cond.wait()


def submit_to_farm(tracker, job):
    def farm():
        time.sleep(0.05)
        tracker.events.put({"job": job, "state": "progress", "pct": 50})
        tracker.events.put({"job": job, "state": "finished", "pct": 100})
    threading.Thread(target=farm, name=f"farm-submit-{job}").start()


def hand_off_to_transcoder(ctx):
    waiters = ctx.opts.get("waiters", 0)
    ctx.arm(1 + waiters)
    tracker = HandoffTracker()
    threading.Thread(target=tracker.pump_farm_events, name="farm-callbacks", daemon=True).start()
    for n in range(waiters):
        job = f"MEZZ-{900 + n}"
        submit_to_farm(tracker, job)
        threading.Thread(target=tracker.await_transcode_done, args=(job, ctx), name=f"handoff-{n}",
                         daemon=True).start()
    job = f"MEZZ-{ctx.opts.get('clips', 7):03d}"
    submit_to_farm(tracker, job)
    tracker.await_transcode_done(job, ctx)

"""The playout schedule: the day's rundown of slots per channel, rebuilt when late changes arrive."""
from __future__ import annotations

import threading
import time


class PlayoutSchedule:
    def __init__(self, channel, slots):
        self.channel = channel
        self._lock = threading.Lock()
        self._slots = [{"slot": n, "item": f"ITEM{n:04d}"} for n in range(slots)]

    def slot_at(self, index, ctx=None):
        if ctx is not None:
            ctx.mark("futex")
        with self._lock:
            return dict(self._slots[index % len(self._slots)])

    def rebuild_rundown(self, changes, asrun, ctx):
        with self._lock:
            for change in changes:
                self._slots[change % len(self._slots)]["item"] = f"LATE{change:04d}"
            time.sleep(0.2)  # re-render the rundown page for the gallery
            asrun.note_rundown_change(self.channel, changes, ctx)

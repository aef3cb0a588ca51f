"""The as-run log: what actually went to air, closed hour by hour for the traffic and royalties teams."""
from __future__ import annotations

import threading
import time


class AsRunLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._rows = []

    def note_rundown_change(self, channel, changes, ctx):
        ctx.mark("futex")
        with self._lock:
            self._rows.append(("rundown-change", channel, tuple(changes)))

    def close_asrun_hour(self, schedule, hour, ctx):
        with self._lock:
            time.sleep(0.2)  # flush the hour file
            for n in range(3):
                self._rows.append(("aired", hour, schedule.slot_at(hour * 12 + n, ctx)))

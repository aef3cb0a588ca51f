"""What every framepress job gets: its options, and the READY report a supervisor waits for once the job is
in its steady state (the farm's orchestrator polls /proc before it captures a stuck worker)."""
from __future__ import annotations

import json
import os
import platform
import sys
import threading
from dataclasses import dataclass, field


@dataclass
class JobContext:
    opts: dict
    role: str = "main"
    _reported: threading.Lock = field(default_factory=threading.Lock)

    def opt(self, key: str, default=None):
        return self.opts.get(key, default)

    def report_ready(self, settle, capture_pid: int | None = None, role: str | None = None) -> None:
        """One READY line: the pid to capture and the (pid, tid, state) of each thread to wait for."""
        pid = capture_pid or os.getpid()
        rows = [[p, t, kind] for p, t, kind in settle]
        doc = {"capture_pid": pid, "python": platform.python_version(), "settle": rows,
               "role": role or self.role}
        with self._reported:
            sys.stdout.write("READY " + json.dumps(doc) + "\n")
            sys.stdout.flush()


def me(kind: str) -> tuple[int, int, str]:
    """This thread's settle row."""
    return os.getpid(), threading.get_native_id(), kind

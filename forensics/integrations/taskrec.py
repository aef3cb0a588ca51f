"""Per-task wall and CPU time, appended as JSON lines to ``tasks.jsonl`` beside the heartbeat files.

One ``write(2)`` per task on an ``O_APPEND`` descriptor, so the children of a pool can share the file without
a lock (each line lands whole). Bounded: once the file passes ``cap`` bytes, the writer that notices renames it
to ``tasks.jsonl.1`` (replacing the older one), so at most about twice ``cap`` is kept. Stdlib only.
"""
from __future__ import annotations

import json
import os

FILE = "tasks.jsonl"
CAP_BYTES = 8 * 2**20
CHECK_EVERY = 64  # records between size checks (an fstat each)


class TaskLog:
    def __init__(self, directory: str, cap: int = CAP_BYTES) -> None:
        self.path = os.path.join(directory, FILE)
        self.cap = cap
        self._fd = None
        self._pid = None
        self._n = 0

    def _open(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # a forked child opens its own
            os.makedirs(os.path.dirname(self.path), mode=0o1777, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
            self._pid = os.getpid()
        return self._fd

    def append(self, record: dict) -> None:
        self.write_line(json.dumps(record, separators=(",", ":")) + "\n")

    def write_line(self, line: str) -> None:
        """One JSON line, whole. Never raises OSError: a full tmpfs must not fail the task."""
        try:
            fd = self._open()
            os.write(fd, line.encode())
            self._n += 1
            if self._n % CHECK_EVERY == 0 and os.fstat(fd).st_size > self.cap:
                os.replace(self.path, self.path + ".1")
                os.close(fd)
                self._fd = None
        except OSError:
            pass

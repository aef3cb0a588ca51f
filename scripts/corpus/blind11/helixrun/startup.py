"""The supervisor handshake: once the threads of a job have reached the calls they park in, one READY line on
stdout tells the process supervisor (and the fleet's probes) which threads to watch."""
from __future__ import annotations

import json
import os
import platform
import sys
import threading


class ReadyGate:
    def __init__(self, role: str = "main") -> None:
        self.role = role
        self._cond = threading.Condition()
        self._arrived: list[list[object]] = []
        self._expected = -1
        self._printed = False

    def expect(self, count: int, self_announced: bool = False) -> None:
        """`count` threads will arrive; with self_announced the last of them calls announce() itself (a thread
        about to keep the interpreter lock cannot wait for the announcer to run)."""
        with self._cond:
            self._expected = -2 if self_announced else count
            self._cond.notify_all()

    def arrive(self, kind: str) -> None:
        with self._cond:
            self._arrived.append([os.getpid(), threading.get_native_id(), kind])
            self._cond.notify_all()

    def announce(self) -> None:
        with self._cond:
            if self._printed:
                return
            self._printed = True
            line = {"capture_pid": os.getpid(), "python": platform.python_version(), "role": self.role,
                    "settle": self._arrived, "threads": {t.name: t.native_id for t in threading.enumerate()}}
        sys.stdout.write("READY " + json.dumps(line) + "\n")
        sys.stdout.flush()

    def _watch(self) -> None:
        with self._cond:
            while self._expected == -1 or (self._expected >= 0 and len(self._arrived) < self._expected):
                self._cond.wait()
            if self._expected == -2:
                return
        self.announce()

    def start(self) -> None:
        threading.Thread(target=self._watch, name="supervisor-notify", daemon=True).start()

"""What the watchdog did to whom, as JSON lines in the store: a restarted watchdog never kills twice.

Keyed by identity (pid + start time). Times are CLOCK_MONOTONIC, which is shared by every process of a
boot, and a start time names a process of this boot only, so a new watchdog can finish an escalation an
earlier one began (a SIGTERM sent before the restart is not sent again; its grace keeps running).
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass

from forensics.identity import ProcessIdentity, same_process


@dataclass(frozen=True)
class Record:
    captured: bool = False
    first_signal_at: float | None = None  # monotonic time the first (soft) signal was sent
    killed: bool = False  # SIGKILL sent


class Journal:
    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._records: dict[tuple[int, int], Record] = {}
        self._load()

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                lines = fh.readlines()
        except FileNotFoundError:
            return
        for line in lines:
            try:
                d = json.loads(line)
                self._apply((int(d["pid"]), int(d["start_ticks"])), d["what"], d.get("mono"))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut short by a crash
        live = {k: v for k, v in self._records.items() if same_process(ProcessIdentity(*k))}
        if len(live) != len(self._records):
            self._records = live
            self._rewrite()

    def _apply(self, key: tuple[int, int], what: str, mono: float | None) -> None:
        rec = self._records.get(key, Record())
        if what == "captured":
            rec = Record(True, rec.first_signal_at, rec.killed)
        elif what == "signal":
            rec = Record(rec.captured, rec.first_signal_at if rec.first_signal_at is not None else mono, rec.killed)
        elif what == "kill":
            rec = Record(rec.captured, rec.first_signal_at if rec.first_signal_at is not None else mono, True)
        self._records[key] = rec

    def _rewrite(self) -> None:
        tmp = self.path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            for (pid, start), rec in self._records.items():
                for what, on in (("captured", rec.captured), ("signal", rec.first_signal_at is not None),
                                 ("kill", rec.killed)):
                    if on:
                        fh.write(json.dumps({"pid": pid, "start_ticks": start, "what": what,
                                             "mono": rec.first_signal_at}) + "\n")
        os.replace(tmp, self.path)

    def get(self, ident: ProcessIdentity) -> Record:
        with self._lock:
            return self._records.get((ident.pid, ident.start_ticks), Record())

    def note(self, ident: ProcessIdentity, what: str, mono: float | None = None, **extra) -> None:
        """Record ``captured``, ``signal`` (the first, soft one: before it is sent) or ``kill`` (the SIGKILL: once
        it was sent, never while held back), durably."""
        key = (ident.pid, ident.start_ticks)
        line = json.dumps({"pid": ident.pid, "start_ticks": ident.start_ticks, "what": what, "mono": mono, **extra})
        with self._lock:
            self._apply(key, what, mono)
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line + "\n")
                fh.flush()
                os.fsync(fh.fileno())

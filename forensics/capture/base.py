"""What the capture orchestrator and its backends share: the options, a target's outcome, capture ids.

Below both (capture/orchestrate.py above, the backends beside each other): nothing here imports either.
"""
from __future__ import annotations

import os
import time

from forensics.errors import HangdumpError
from forensics.model import Capture, Trigger
from forensics.records import field, record

TOOL_TIMEOUT_S = {"py-spy": 10.0, "gdb": 30.0}


@record
class CollectOptions:
    """How one capture is taken (the collect flags), passed unchanged to every backend the orchestrator runs."""

    native: bool = False
    with_locals: bool = False
    redact: bool = True
    timeout_s: float | None = None  # per tool run; None: each tool's default (TOOL_TIMEOUT_S)
    pyspy_path: str | None = None
    trigger: Trigger = field(default_factory=Trigger)
    method: str = "auto"  # auto: py-spy, gdb where py-spy fails; py-spy; gdb (see capture/orchestrate.py)
    deep: bool = False  # py-spy and gdb, merged
    keep_core: bool = False  # gdb: keep a compressed core in the store
    gdb_ext: str | None = None  # the interpreter's python3.X-gdb.py, when not found by itself
    deadline: float | None = None  # time.monotonic() by which the whole capture ends (the orchestrator's budget)

    def timeout_for(self, tool: str, started: float | None = None) -> float:
        """Seconds a run of ``tool`` started at ``started`` (monotonic; default now) may take.

        --timeout when given, on every backend, else the tool's default (gdb reads debug info, writes
        cores); never past the deadline.
        """
        limit = self.timeout_s if self.timeout_s is not None else TOOL_TIMEOUT_S[tool]
        if self.deadline is None:
            return limit
        return max(0.0, min(limit, self.deadline - (time.monotonic() if started is None else started)))

    def past_deadline(self) -> bool:
        return self.deadline is not None and time.monotonic() >= self.deadline


@record
class Outcome:
    """One target's result: a capture, or the error that prevented it."""

    pid: int
    capture: Capture | None = None
    error: HangdumpError | None = None


def host_name() -> str:
    """$HANGDUMP_HOST (the name a fleet knows this host by: a container's nodename is random), else the nodename."""
    return os.environ.get("HANGDUMP_HOST") or os.uname().nodename


def new_capture_id(taken_at: float, host: str, pid: int | None, salt: str | None = None) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(taken_at)) + f"{taken_at % 1:.3f}"[1:]
    tail = salt if salt is not None else os.urandom(3).hex()
    safe_host = "".join(c if c.isalnum() or c in "-." else "_" for c in host)[:40]
    return f"{stamp}Z-{safe_host}-{pid if pid is not None else 'x'}-{tail}"

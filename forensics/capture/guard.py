"""Run a capture tool against a target and make sure the target is left running, whatever the tool does.

A ptrace-based tool that dies between attaching and detaching can leave the target in
group-stop (state ``T``, from the SIGSTOP it queued) once the kernel detaches it. We
record the target's state before, and afterwards resume it with SIGCONT if, and only if,
it was running before, no tracer remains, and it is still the same process (pid + start time).
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass

from forensics import procfs
from forensics.errors import CaptureTimeout, PermissionDenied, TargetNotFound
from forensics.model import ProcessIdentity

SETTLE_S = 1.0


@dataclass(frozen=True, slots=True)
class ToolResult:
    returncode: int
    stdout: bytes
    stderr: str
    elapsed_s: float


def _state(ident: ProcessIdentity) -> str | None:
    try:
        st = procfs.read_stat(ident.pid)
    except TargetNotFound:
        return None
    return st.state if st.start_ticks == ident.start_ticks else None


def ensure_running(ident: ProcessIdentity, was_stopped: bool, settle_s: float = SETTLE_S) -> list[str]:
    """Wait (bounded) for tracers to go; SIGCONT a target we left stopped. Returns notes for the capture's errors."""
    if was_stopped:
        return []
    deadline = time.monotonic() + settle_s
    notes: list[str] = []
    while True:
        state = _state(ident)
        if state is None:
            return notes
        try:
            tracer = procfs.tracer_pid(ident.pid)
        except (TargetNotFound, PermissionDenied):
            return notes
        if not procfs.is_stopped(state) and tracer == 0:
            return notes
        if tracer == 0 and state == "T" and procfs.same_process(ident):
            os.kill(ident.pid, signal.SIGCONT)
            notes.append(f"target {ident.pid} was left stopped by the capture tool; resumed it with SIGCONT")
        if time.monotonic() > deadline:
            if tracer:
                notes.append(f"target {ident.pid} still traced by pid {tracer} after the capture")
            return notes
        time.sleep(0.01)


def run_tool(argv: list[str], ident: ProcessIdentity, timeout_s: float, env: dict | None = None) -> tuple[ToolResult, list[str]]:
    """Run argv, kill it at timeout, then leave the target running. Raises CaptureTimeout after cleanup."""
    was_stopped = procfs.is_stopped(_state(ident))
    start = time.monotonic()
    proc = subprocess.Popen(
        argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
    )
    timed_out = False
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        proc.kill()
        out, err = proc.communicate()
    except BaseException:
        proc.kill()
        proc.wait()
        ensure_running(ident, was_stopped)
        raise
    notes = ensure_running(ident, was_stopped)
    if timed_out:
        raise CaptureTimeout(f"{os.path.basename(argv[0])} did not finish within {timeout_s:g}s on pid {ident.pid}")
    result = ToolResult(proc.returncode, out, err.decode("utf-8", "replace"), time.monotonic() - start)
    return result, notes


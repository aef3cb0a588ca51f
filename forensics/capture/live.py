"""Capture live processes: /proc facts without ptrace, stacks from py-spy, several targets in parallel."""
from __future__ import annotations

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from forensics import __version__, procfs
from forensics.capture import pyspy
from forensics.errors import HangdumpError, TargetGone
from forensics.model import Capture, KernelState, ProcessFacts, ThreadStack, Trigger


@dataclass(frozen=True)
class CollectOptions:
    native: bool = False
    with_locals: bool = False
    redact: bool = True
    timeout_s: float = 10.0
    pyspy_path: str | None = None
    trigger: Trigger = field(default_factory=Trigger)


@dataclass(frozen=True)
class Outcome:
    """One target's result: a capture, or the error that prevented it."""

    pid: int
    capture: Capture | None = None
    error: HangdumpError | None = None


def host_name() -> str:
    return os.uname().nodename


def new_capture_id(taken_at: float, host: str, pid: int | None, salt: str | None = None) -> str:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(taken_at)) + f"{taken_at % 1:.3f}"[1:]
    tail = salt if salt is not None else os.urandom(3).hex()
    safe_host = "".join(c if c.isalnum() or c in "-." else "_" for c in host)[:40]
    return f"{stamp}Z-{safe_host}-{pid if pid is not None else 'x'}-{tail}"


def merge_threads(
    stacks: tuple[ThreadStack, ...], kernel: dict[int, tuple[str, KernelState]]
) -> tuple[ThreadStack, ...]:
    """Attach kernel state to each stack by OS tid; threads py-spy did not report (native-only) are kept, frameless."""
    merged = []
    seen = set()
    for t in stacks:
        comm, ks = kernel.get(t.tid, (None, None)) if t.tid is not None else (None, None)
        seen.add(t.tid)
        merged.append(ThreadStack(
            tid=t.tid, name=t.name or comm, python_thread_id=t.python_thread_id, active=t.active,
            owns_gil=t.owns_gil, kernel=ks, frames=t.frames, lock_address=t.lock_address,
        ))
    for tid, (comm, ks) in kernel.items():
        if tid not in seen:
            merged.append(ThreadStack(tid=tid, name=comm, kernel=ks))
    return tuple(sorted(merged, key=lambda t: (t.tid is None, t.tid or 0)))


def collect_one(pid: int, opts: CollectOptions, binary: str, tool_versions: dict) -> Capture:
    started = time.monotonic()
    ident = procfs.identity(pid)
    taken_at = time.time()
    state_before = procfs.read_stat(pid).state
    # Kernel state first: py-spy stops the target while it reads, which would show every thread as 't'.
    kernel = procfs.read_threads(pid)
    facts: list[ProcessFacts] = []

    def read_facts() -> None:
        try:
            facts.append(procfs.read_process_facts(pid, taken_at))
        except HangdumpError:
            pass

    reader = threading.Thread(target=read_facts, daemon=True)
    reader.start()
    result = pyspy.dump(binary, ident, opts.native, opts.with_locals, opts.redact, opts.timeout_s)
    reader.join()
    if not procfs.same_process(ident):
        raise TargetGone(f"pid {pid} exited (or was reused) during the capture")
    process = facts[0] if facts else None
    if process is not None:
        process = replace(process, state=state_before)
    start_time = procfs.ticks_to_epoch(ident.start_ticks)
    host = host_name()
    return Capture(
        id=new_capture_id(taken_at, host, pid),
        host=host,
        pid=pid,
        start_time=round(start_time, 2),
        taken_at=taken_at,
        method="py-spy",
        trigger=opts.trigger,
        process=process,
        threads=merge_threads(result.threads, kernel),
        tool_versions=tool_versions,
        errors=result.notes,
        duration_s=round(time.monotonic() - started, 4),
        options={"native": opts.native, "locals": opts.with_locals, "nonblocking": result.nonblocking},
    )


def collect(pids: list[int], opts: CollectOptions) -> list[Outcome]:
    """Capture every pid, in parallel; each target's failure is its own Outcome, never the batch's."""
    binary = pyspy.find_pyspy(opts.pyspy_path)
    tool_versions = {"hangdump": __version__}
    version_thread = threading.Thread(
        target=lambda: tool_versions.__setitem__("py-spy", pyspy.pyspy_version(binary)), daemon=True
    )
    version_thread.start()

    def one(pid: int) -> Outcome:
        try:
            return Outcome(pid, capture=collect_one(pid, opts, binary, tool_versions))
        except HangdumpError as exc:
            return Outcome(pid, error=exc)

    if len(pids) == 1:
        outcomes = [one(pids[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(len(pids), 4 * (os.cpu_count() or 2))) as pool:
            outcomes = list(pool.map(one, pids))
    version_thread.join()
    return outcomes

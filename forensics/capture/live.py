"""Capture live processes: /proc facts without ptrace, stacks from py-spy, many targets at once.

Three phases, so that the slow part (py-spy, mostly CPU in a separate process) overlaps everything
else: (1) start py-spy for every target at once (or adopt the run the entry point already started);
(2) while they run, read each thread's kernel state and the process facts from /proc; (3) collect each
dump, check the target was left running, build the capture.

The per-thread /proc files are read (raw) in the ~45 ms py-spy takes from its start to its first
ptrace stop (see procraw): a thread py-spy holds shows state 't', and a sleep it interrupted comes
back as 'restart_syscall', so reading after it would not say what the thread was doing.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from forensics import __version__, procfs
from forensics.capture import pyspy
from forensics.errors import HangdumpError, TargetGone
from forensics.identity import ProcessIdentity
from forensics.model import Capture, KernelState, ProcessFacts, ThreadStack, Trigger


@dataclass(frozen=True)
class CollectOptions:
    native: bool = False
    with_locals: bool = False
    redact: bool = True
    timeout_s: float | None = None  # per tool run; None: each tool's default (TOOL_TIMEOUT_S)
    pyspy_path: str | None = None
    trigger: Trigger = field(default_factory=Trigger)
    method: str = "auto"  # auto: py-spy, gdb where py-spy fails; py-spy; gdb (see capture/deep.py)
    deep: bool = False  # py-spy and gdb, merged
    keep_core: bool = False  # gdb: keep a compressed core in the store
    gdb_ext: str | None = None  # the interpreter's python3.X-gdb.py, when not found by itself

    def timeout_for(self, tool: str) -> float:
        """--timeout when given, on every backend; else the tool's default (gdb reads debug info, writes cores)."""
        return self.timeout_s if self.timeout_s is not None else TOOL_TIMEOUT_S[tool]


TOOL_TIMEOUT_S = {"py-spy": 10.0, "gdb": 30.0}


@dataclass(frozen=True)
class Outcome:
    """One target's result: a capture, or the error that prevented it."""

    pid: int
    capture: Capture | None = None
    error: HangdumpError | None = None


@dataclass
class _InFlight:
    """A target whose py-spy is running."""

    ident: ProcessIdentity
    dump: pyspy.PyspyRun
    kernel: dict[int, tuple[str, KernelState]] = field(default_factory=dict)
    facts: ProcessFacts | None = None

    def read_proc(self) -> None:
        """Parse the snapshot taken as py-spy started and read the process facts, while py-spy runs.

        A thread py-spy had already stopped when it was read shows state 't' and wchan 'ptrace_stop';
        its syscall is still the one it was in, but its state and wchan are not its own: they become unknown.
        """
        tool = self.dump.tool
        kernel = procfs.parse_tasks(tool.tasks)
        if not tool.was_stopped:
            kernel = {tid: (comm, replace(ks, state=None, wchan=None) if ks.state == "t" else ks)
                      for tid, (comm, ks) in kernel.items()}
        self.kernel = procfs.resolve_fds(self.ident.pid, kernel)
        try:
            self.facts = procfs.read_process_facts(self.ident.pid, tool.started_at)
        except HangdumpError:
            self.facts = None  # gone meanwhile: _finish reports it


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
        merged.append(replace(t, name=t.name or comm, kernel=ks))
    for tid, (comm, ks) in kernel.items():
        if tid not in seen:
            merged.append(ThreadStack(tid=tid, name=comm, kernel=ks))
    return tuple(sorted(merged, key=lambda t: (t.tid is None, t.tid or 0)))


def _host_tids(stacks: tuple[ThreadStack, ...], host_tid: dict[int, int]) -> tuple[ThreadStack, ...]:
    if not host_tid:
        return stacks
    return tuple(replace(t, tid=host_tid.get(t.tid, t.tid)) if t.tid is not None else t for t in stacks)


def _finish(job: _InFlight, opts: CollectOptions, host: str, tool_versions: dict) -> Capture:
    result = job.dump.finish(opts.timeout_for("py-spy"), opts.redact)
    pid = job.ident.pid
    if not procfs.same_process(job.ident):
        raise TargetGone(f"pid {pid} exited (or was reused) during the capture")
    tool = job.dump.tool
    return Capture(
        id=new_capture_id(tool.started_at, host, pid),
        host=host,
        pid=pid,
        start_time=round(procfs.ticks_to_epoch(job.ident.start_ticks), 2),
        taken_at=tool.started_at,
        method="py-spy",
        trigger=opts.trigger,
        process=replace(job.facts, state=tool.before.state) if job.facts else None,
        threads=merge_threads(_host_tids(result.threads, procfs.namespace_tids(tool.tasks)), job.kernel),
        tool_versions=tool_versions,
        errors=result.notes,
        duration_s=round(time.monotonic() - tool.started, 4),
        options={"native": opts.native, "locals": opts.with_locals, "nonblocking": result.nonblocking},
    )


def collect(
    pids: list[int], opts: CollectOptions, store=None, meanwhile: Callable[[], object] | None = None
) -> list[Outcome]:
    """Capture every pid (see _collect_locked); each capture knows its worker's role and task (forensics/fleet/role.py)."""
    from forensics.fleet.role import with_worker

    return [replace(o, capture=with_worker(o.capture)) if o.capture else o
            for o in _collect_locked(pids, opts, store, meanwhile)]


def _collect_locked(
    pids: list[int], opts: CollectOptions, store=None, meanwhile: Callable[[], object] | None = None
) -> list[Outcome]:
    """Capture every pid; each target's failure is its own Outcome, never the batch's.

    gdb (capture/deep.py, imported only when needed) for method gdb, for auto where py-spy failed or is
    missing, and after py-spy when deep. ``store`` receives kept cores. ``meanwhile`` runs while the
    capture tools do (the CLI imports what it will render with: that costs nothing then).
    """
    from forensics.capture import lock

    idents = []
    for pid in pids:
        try:
            idents.append(procfs.identity(pid))
        except HangdumpError:
            continue  # its own Outcome says so, below
    try:
        lock.acquire(idents)  # concurrent captures of a target queue here instead of failing
    except HangdumpError as exc:
        return [Outcome(pid, error=exc) for pid in pids]
    try:
        return _collect(pids, opts, store, meanwhile)
    finally:
        lock.release(idents)


def _collect(
    pids: list[int], opts: CollectOptions, store=None, meanwhile: Callable[[], object] | None = None
) -> list[Outcome]:
    # An explicit --py-spy that does not work is an error to report, not a reason to switch tools.
    if opts.method == "gdb" or (opts.method == "auto" and not opts.pyspy_path and not _has_pyspy(opts)):
        from forensics.capture import deep

        return deep.collect(pids, opts, store=store)
    outcomes = collect_pyspy(pids, opts, meanwhile)
    if opts.deep or (opts.method == "auto" and any(o.error is not None for o in outcomes)):
        from forensics.capture import deep

        outcomes = deep.collect(pids, opts, pyspy_outcomes=outcomes, store=store)
    return outcomes


def _has_pyspy(opts: CollectOptions) -> bool:
    from forensics.errors import ToolMissing

    try:
        pyspy.find_pyspy(opts.pyspy_path)
    except ToolMissing:
        return False
    return True


def collect_pyspy(pids: list[int], opts: CollectOptions, meanwhile: Callable[[], object] | None) -> list[Outcome]:
    binary = pyspy.find_pyspy(opts.pyspy_path)
    jobs: dict[int, _InFlight | HangdumpError] = {}
    for pid in pids:
        try:
            ident = procfs.identity(pid)
            jobs[pid] = _InFlight(ident, pyspy.PyspyRun(binary, ident, opts.native, opts.with_locals))
        except HangdumpError as exc:
            jobs[pid] = exc
    try:
        return _complete(jobs, opts, binary, meanwhile)
    except BaseException:
        # Interrupted (Ctrl-C): no tool may outlive us holding a target stopped.
        for job in jobs.values():
            if isinstance(job, _InFlight):
                job.dump.tool.abort()
        raise


def _complete(
    jobs: dict[int, _InFlight | HangdumpError],
    opts: CollectOptions,
    binary: str,
    meanwhile: Callable[[], object] | None,
) -> list[Outcome]:
    for job in jobs.values():
        if isinstance(job, _InFlight):
            job.read_proc()
    if meanwhile is not None:
        meanwhile()
    tool_versions = {"hangdump": __version__, "py-spy": pyspy.pyspy_version(binary)}
    host = host_name()
    outcomes = []
    for pid, job in jobs.items():
        if isinstance(job, HangdumpError):
            outcomes.append(Outcome(pid, error=job))
            continue
        try:
            outcomes.append(Outcome(pid, capture=_finish(job, opts, host, tool_versions)))
        except HangdumpError as exc:
            outcomes.append(Outcome(pid, error=exc))
    return outcomes

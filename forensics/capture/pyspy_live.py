"""The py-spy backend for live targets: /proc facts without ptrace, stacks from py-spy, many targets at once.

Three phases, so that the slow part (py-spy, mostly CPU in a separate process) overlaps everything
else: (1) start py-spy for every target at once (or adopt the run the entry point already started);
(2) while they run, read each thread's kernel state and the process facts from /proc; (3) collect each
dump, check the target was left running, build the capture.

The per-thread /proc files are read (raw) just before py-spy starts (see procraw and guard.ToolRun): a
thread py-spy holds shows state 't', and a sleep it interrupted comes back as 'restart_syscall', so reading
after it would not say what the thread was doing. They are parsed while it runs.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from forensics import __version__, procfs
from forensics.capture import prestart, pyspy
from forensics.capture.base import CollectOptions, Outcome, host_name, new_capture_id
from forensics.capture.merge import host_tids, merge_threads
from forensics.errors import HangdumpError, TargetGone
from forensics.identity import ProcessIdentity
from forensics.model import Capture, KernelState, ProcessFacts


@dataclass
class _InFlight:
    """A target whose py-spy is running."""

    ident: ProcessIdentity
    dump: pyspy.PyspyRun
    kernel: dict[int, tuple[str, KernelState]] = field(default_factory=dict)
    facts: ProcessFacts | None = None

    def read_proc(self) -> None:
        """Parse the snapshot taken before py-spy started and read the process facts, while py-spy runs."""
        tool = self.dump.tool
        self.kernel = procfs.resolve_fds(self.ident.pid, procfs.parse_tasks(tool.tasks))
        try:
            self.facts = procfs.read_process_facts(self.ident.pid, tool.started_at)
        except HangdumpError:
            self.facts = None  # gone meanwhile: _finish reports it


def _finish(job: _InFlight, opts: CollectOptions, host: str, tool_versions: dict) -> Capture:
    result = job.dump.finish(lambda started: opts.timeout_for("py-spy", started), opts.redact)
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
        threads=merge_threads(host_tids(result.threads, procfs.namespace_tids(tool.tasks)), job.kernel),
        tool_versions=tool_versions,
        errors=result.notes,
        duration_s=round(time.monotonic() - tool.started, 4),
        options={"native": opts.native, "locals": opts.with_locals, "nonblocking": result.nonblocking},
    )


def collect(pids: list[int], opts: CollectOptions, meanwhile: Callable[[], object] | None = None) -> list[Outcome]:
    """py-spy on every pid; each target's failure is its own Outcome. ``meanwhile`` runs while py-spy does."""
    binary = pyspy.find_pyspy(opts.pyspy_path)
    jobs: dict[int, _InFlight | HangdumpError] = {}
    try:
        for pid in pids:
            try:
                ident = procfs.identity(pid)
                run = pyspy.PyspyRun(binary, ident, opts.native, opts.with_locals, adopt=prestart.adopt)
                jobs[pid] = _InFlight(ident, run)
            except HangdumpError as exc:
                jobs[pid] = exc
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

"""The py-spy backend for live targets: /proc facts without ptrace, stacks from py-spy, many targets at once.

py-spy (a separate process, mostly CPU) is the slow part, so everything else overlaps it: a queue keeps
as many py-spy runs in flight as there are usable cores (or adopts the runs the entry point already
started); while they run, each new run's threads' kernel state and the process facts are read from /proc,
and each finished run is parsed, checked (the target left running) and built into its capture.

The per-thread /proc files are read (raw) just before py-spy starts (see procraw and guard.ToolRun): a
thread py-spy holds shows state 't', and a sleep it interrupted comes back as 'restart_syscall', so reading
after it would not say what the thread was doing. They are parsed while it runs.
"""
from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from forensics import __version__, procfs
from forensics.capture import prestart, pyspy
from forensics.capture.base import CollectOptions, Outcome, host_name, new_capture_id
from forensics.capture.guard import usable_cores, wait_any
from forensics.capture.merge import host_tids, merge_threads
from forensics.errors import CaptureTimeout, HangdumpError, TargetGone
from forensics.identity import ProcessIdentity
from forensics.model import Capture, KernelState, ProcessFacts
from forensics.records import replace


class _InFlight:
    """A target whose py-spy is running. Compared by identity: the queue takes finished runs out of the running
    ones. (A plain class: a dataclass costs ~1 ms of every capture's start-up to define.)"""

    __slots__ = ("dump", "facts", "ident", "kernel")

    def __init__(self, ident: ProcessIdentity, dump: pyspy.PyspyRun) -> None:
        self.ident, self.dump = ident, dump
        self.kernel: dict[int, tuple[str, KernelState]] = {}
        self.facts: ProcessFacts | None = None

    def read_proc(self, scans: procfs.Scans | None = None) -> None:
        """Parse the snapshot taken before py-spy started and read the process facts, while py-spy runs."""
        tool = self.dump.tool
        self.kernel = procfs.resolve_fds(self.ident.pid, procfs.parse_tasks(tool.tasks), scans)
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


def collect(pids: list[int], opts: CollectOptions, meanwhile: Callable[[], bool] | None = None,
            on_outcome: Callable[[Outcome], None] | None = None, width: int | None = None) -> list[Outcome]:
    """py-spy on every pid, ``width`` runs at a time (default: the usable cores); each target's failure is its
    own Outcome. ``meanwhile()``, a piece of the caller's own work, is called whenever the queue would
    otherwise wait for a run, as long as it returns True (it may have more); ``on_outcome`` gets each outcome
    as soon as its py-spy is done, while the next ones run."""
    queue = _Queue(pyspy.find_pyspy(opts.pyspy_path), opts, width or usable_cores(), on_outcome)
    try:
        return queue.run(list(dict.fromkeys(pids)), meanwhile)
    except BaseException:
        # Interrupted (Ctrl-C): no tool may outlive us holding a target stopped.
        for job in queue.running:
            job.dump.tool.abort()
        raise


class _Queue:
    """A queue of py-spy runs, ``width`` in flight: more at once on fewer cores only slows each one (every
    run keeps its target stopped while it waits for a CPU). While they run: each new run's /proc, and the
    finished runs' captures (parsed, checked, built)."""

    def __init__(self, binary: str, opts: CollectOptions, width: int,
                 on_outcome: Callable[[Outcome], None] | None) -> None:
        self.binary, self.opts, self.width, self.on_outcome = binary, opts, width, on_outcome
        self.running: list[_InFlight] = []
        self.outcomes: dict[int, Outcome] = {}
        self.host = host_name()
        self.versions: dict | None = None
        self.scans = procfs.Scans()  # the host as the targets' fd waits see it, read once for all of them

    def run(self, pids: list[int], meanwhile: Callable[[], bool] | None) -> list[Outcome]:
        waiting = deque(pids)
        started: deque[_InFlight] = deque()  # running, its /proc not read yet
        done: deque[_InFlight] = deque()  # its tool exited (or its time is up), its capture not built yet
        while waiting or self.running or started or done:
            # Between any two pieces of our own work, a run that ended makes room for the next one at once.
            done.extend(self._wait(0.0))
            started.extend(self._fill(waiting))
            if started:
                started.popleft().read_proc(self.scans)
            elif self.versions is None:
                self.versions = {"hangdump": __version__, "py-spy": pyspy.pyspy_version(self.binary)}
            elif done:
                job = done.popleft()
                self._settle(job.ident.pid, job)
            elif meanwhile is None or not meanwhile():  # the caller's own work first, then the wait
                done.extend(self._wait(None))
        return [self.outcomes[pid] for pid in pids]

    def _fill(self, waiting: deque[int]) -> list[_InFlight]:
        """Start runs until width are in flight; the started ones."""
        started = []
        while waiting and len(self.running) < self.width:
            pid = waiting.popleft()
            if self.opts.past_deadline():
                self._settle(pid, CaptureTimeout(f"no time left to start py-spy on pid {pid}"))
                continue
            try:
                ident = procfs.identity(pid)
                job = _InFlight(ident, pyspy.PyspyRun(self.binary, ident, self.opts.native, self.opts.with_locals,
                                                      adopt=prestart.adopt))
            except HangdumpError as exc:
                self._settle(pid, exc)
                continue
            self.running.append(job)
            started.append(job)
        return started

    def _wait(self, timeout_s: float | None) -> list[_InFlight]:
        """The runs that are done (their tool exited, or their time is up), taken out of the running ones;
        waiting up to timeout_s (None: until the first is done)."""
        if not self.running:
            return []
        ends = [job.dump.tool.started + self.opts.timeout_for("py-spy", job.dump.tool.started) for job in self.running]
        wait_s = min(ends) - time.monotonic() if timeout_s is None else timeout_s
        exited = wait_any([job.dump.tool for job in self.running], wait_s)
        now = time.monotonic()
        done = [job for job, end in zip(self.running, ends, strict=True) if job.dump.tool in exited or end <= now]
        self.running = [job for job in self.running if job not in done]
        return done

    def _settle(self, pid: int, job: _InFlight | HangdumpError) -> None:
        if isinstance(job, HangdumpError):
            outcome = Outcome(pid, error=job)
        else:
            try:
                outcome = Outcome(pid, capture=_finish(job, self.opts, self.host, self.versions or {}))
            except HangdumpError as exc:
                outcome = Outcome(pid, error=exc)
        self.outcomes[pid] = outcome
        if self.on_outcome is not None:
            self.on_outcome(outcome)

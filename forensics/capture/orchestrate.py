"""The one capture orchestrator: picks the backends, runs them, merges their threads, finishes the capture.

The backends (``Backends``: py-spy live, gdb live, py-spy's and gdb's core readers) know nothing of
each other or of this module; what they share lives below them (base.py, merge.py). Here: the
per-target lock, the method (auto: py-spy, gdb where py-spy fails; --deep: both, merged; a target
gdb must not stop: py-spy --nonblocking), the time budget, and the worker's role on each capture.
gdb modules are imported only when gdb is used: the py-spy path never pays for them.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable

from forensics import __version__, procfs
from forensics.capture import lock, pyspy
from forensics.capture.base import CollectOptions, Outcome, host_name, new_capture_id
from forensics.capture.merge import merge_deep, merge_threads, spliced_walk
from forensics.errors import (
    CaptureFailed,
    CaptureTimeout,
    HangdumpError,
    NotPython,
    ToolMissing,
    Unstoppable,
    UsageError,
)
from forensics.model import Capture, ProcessFacts, ThreadStack
from forensics.records import record, replace

TYPE_CHECKING = False  # what typing.TYPE_CHECKING is at run time; typing costs a capture ~5 ms to import
if TYPE_CHECKING:
    from forensics.capture.gdb import Analyser

# py-spy failures that gdb may get past (unsupported or static interpreter, py-spy missing or confused).
# Not: target gone, permission denied (gdb would be denied too), timeouts (a D-state target hangs gdb too).
FALLBACK_ERRORS = (CaptureFailed, NotPython, ToolMissing)


def _pyspy_live(pids: list[int], opts: CollectOptions, meanwhile: Callable[[], bool] | None,
                on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    from forensics.capture import pyspy_live

    return pyspy_live.collect(pids, opts, meanwhile, on_outcome)


def _gdb_live(pid: int, opts: CollectOptions, store, analyser: Analyser | None) -> Capture:
    from forensics.capture import gdb_live

    return gdb_live.collect_gdb_one(pid, opts, store, analyser)


def _pyspy_core(raw: str, opts: CollectOptions, versions: dict, notes: list[str]) -> tuple[ThreadStack, ...]:
    from forensics.capture import core_read

    return core_read.pyspy_core(raw, opts, versions, notes)


def _gdb_core(raw: str, path: str, exe: str | None, info, opts: CollectOptions,
              spy: Callable[[], tuple[ThreadStack, ...] | None] | None) -> tuple:
    from forensics.capture import core_read

    return core_read.gdb_core(raw, path, exe, info, opts, spy)


@record
class Backends:
    """The capture tools the orchestrator runs, each a plain function of the layers below.

    pyspy_live(pids, opts, meanwhile, on_outcome) -> [Outcome]: every target, a queue of runs; ``meanwhile()`` runs
    while py-spy does (again while it returns True), ``on_outcome`` gets each target's outcome as soon as its
    run is done.
    gdb_live(pid, opts, store, analyser) -> Capture: one target; ``analyser`` replaces gdb's full walk (--deep).
    pyspy_core(raw, opts, versions, notes) -> threads; gdb_core(raw, path, exe, info, opts, spy) ->
    (GdbStacks, exe, libpython), where ``spy`` waits for py-spy's threads to splice in (or None).
    """

    pyspy_live: Callable[..., list[Outcome]] = _pyspy_live
    gdb_live: Callable[[int, CollectOptions, object, Analyser | None], Capture] = _gdb_live
    pyspy_core: Callable[[str, CollectOptions, dict, list[str]], tuple[ThreadStack, ...]] = _pyspy_core
    gdb_core: Callable[..., tuple] = _gdb_core


BACKENDS = Backends()


def collect(pids: list[int], opts: CollectOptions, store=None, meanwhile: Callable[[], bool] | None = None,
            backends: Backends = BACKENDS, budget_s: float | None = None,
            on_outcome: Callable[[Outcome], None] | None = None) -> list[Outcome]:
    """Capture every pid; each target's failure is its own Outcome, never the batch's.

    Each capture knows its worker's role and task (forensics/fleet/role.py). ``store`` receives kept
    cores. ``meanwhile()`` runs while the capture tools do, again each time they would be waited for while
    it returns True (the CLI imports what it renders with, then renders each final capture: that costs
    nothing then). ``budget_s`` bounds the whole capture, lock wait included: a tool still
    running at the deadline is stopped (its guard leaves the target running) and the outcome says so.
    ``on_outcome`` gets each target's outcome once it is final, while other targets' tools may still run
    (the CLI stores each capture then); the list returned holds the same outcomes, in the order of pids.
    """
    from forensics.fleet.role import with_worker

    if budget_s is not None:
        deadline = time.monotonic() + budget_s
        opts = replace(opts, deadline=min(deadline, opts.deadline) if opts.deadline is not None else deadline)
    final: dict[int, Outcome] = {}

    def settle(o: Outcome) -> Outcome:
        if o.pid not in final:
            if isinstance(o.error, CaptureTimeout) and opts.past_deadline():
                o = replace(o, error=_over_budget(o.pid, o.error, budget_s))
            final[o.pid] = replace(o, capture=with_worker(o.capture)) if o.capture else o
            if on_outcome is not None:
                on_outcome(final[o.pid])
        return final[o.pid]

    return [settle(o) for o in _collect_locked(pids, opts, store, meanwhile, backends, settle)]


def _over_budget(pid: int, why: HangdumpError | None, budget_s: float | None) -> CaptureTimeout:
    budget = f"its {budget_s:g}s budget" if budget_s is not None else "its deadline"
    cause = f" ({why.one_line()})" if why is not None else ""
    return CaptureTimeout(f"the capture of pid {pid} ran out of {budget}{cause}; stopped there, the target left "
                          "running", help="give the capture a larger budget")


def _collect_locked(pids: list[int], opts: CollectOptions, store, meanwhile, backends: Backends,
                    settle: Callable[[Outcome], Outcome]) -> list[Outcome]:
    idents = []
    for pid in pids:
        try:
            idents.append(procfs.identity(pid))
        except HangdumpError:
            continue  # its own Outcome says so, below
    try:
        lock.acquire(idents, until=opts.deadline)  # concurrent captures of a target queue here instead of failing
    except HangdumpError as exc:
        return [Outcome(pid, error=exc) for pid in pids]
    try:
        return _collect(pids, opts, store, meanwhile, backends, settle)
    finally:
        lock.release(idents)


def _collect(pids: list[int], opts: CollectOptions, store, meanwhile, backends: Backends,
             settle: Callable[[Outcome], Outcome]) -> list[Outcome]:
    # An explicit --py-spy that does not work is an error to report, not a reason to switch tools.
    if opts.method == "gdb" or (opts.method == "auto" and not opts.pyspy_path and not _has_pyspy(opts)):
        return _parallel(lambda pid: _gdb_outcome(pid, opts, store, backends), pids)

    def early(o: Outcome) -> None:
        """py-spy's outcome, settled at once when no gdb step follows it."""
        if not opts.deep and (o.error is None or opts.method != "auto"):
            settle(o)

    outcomes = backends.pyspy_live(pids, opts, meanwhile, early)
    if opts.deep or (opts.method == "auto" and any(o.error is not None for o in outcomes)):
        outcomes = _parallel(lambda o: _follow(o, opts, store, backends), outcomes)
    return outcomes


def _has_pyspy(opts: CollectOptions) -> bool:
    try:
        pyspy.find_pyspy(opts.pyspy_path)
    except ToolMissing:
        return False
    return True


def _parallel(fn, items: list) -> list:
    if len(items) <= 1:
        return [fn(i) for i in items]
    from concurrent.futures import ThreadPoolExecutor  # here: a single py-spy capture never needs it

    with ThreadPoolExecutor(max_workers=min(len(items), os.cpu_count() or 2)) as pool:
        return list(pool.map(fn, items))


def _gdb_outcome(pid: int, opts: CollectOptions, store, backends: Backends) -> Outcome:
    if opts.past_deadline():
        return Outcome(pid, error=CaptureTimeout(f"no time left for gdb on pid {pid}"))
    try:
        return Outcome(pid, capture=backends.gdb_live(pid, opts, store, None))
    except Unstoppable as exc:
        return _nonblocking(pid, opts, exc, backends)
    except HangdumpError as exc:
        return Outcome(pid, error=exc)


def _nonblocking(pid: int, opts: CollectOptions, why: Unstoppable, backends: Backends) -> Outcome:
    """The capture of a target gdb must not stop: py-spy --nonblocking, saying why gdb was not used."""
    [o] = backends.pyspy_live([pid], replace(opts, method="py-spy", deep=False), None)
    if o.capture is None:
        return Outcome(pid, error=o.error if not isinstance(o.error, ToolMissing) else why)
    said = any(str(why) in e for e in o.capture.errors)
    note = "gdb not used: the target cannot be stopped (see below)" if said else f"gdb not used: {why}"
    return Outcome(pid, capture=replace(o.capture, errors=(note,) + o.capture.errors))


def _follow(o: Outcome, opts: CollectOptions, store, backends: Backends) -> Outcome:
    """The gdb half of --deep or of auto, given py-spy's outcome for the target."""
    if o.capture is not None:
        if not opts.deep:
            return o
        if opts.past_deadline():
            return Outcome(o.pid, capture=replace(o.capture, errors=o.capture.errors + ("gdb: no time left in the budget",)))
        try:
            return Outcome(o.pid, capture=_deepen(o.capture, opts, store, backends))
        except HangdumpError as exc:  # Unstoppable too: py-spy's capture already says why
            return Outcome(o.pid, capture=replace(o.capture, errors=o.capture.errors + (f"gdb: {exc.one_line()}",)))
    if isinstance(o.error, NotPython):
        from forensics.capture.gdb_live import looks_like_cpython

        if not looks_like_cpython(o.pid):
            return o  # py-spy found no interpreter and nothing says there is one: not ours to capture
    if opts.method == "auto" and isinstance(o.error, FALLBACK_ERRORS):
        g = _gdb_outcome(o.pid, opts, store, backends)
        if g.capture is not None:
            note = f"py-spy failed ({o.error}); captured with gdb instead"
            return Outcome(o.pid, capture=replace(g.capture, errors=(note,) + g.capture.errors))
        return Outcome(o.pid, error=g.error)
    return o


def _deepen(spy: Capture, opts: CollectOptions, store, backends: Backends) -> Capture:
    g = backends.gdb_live(spy.pid, opts, store, spliced_walk(spy))
    return replace(
        spy,
        method="gdb",
        threads=merge_deep(spy, g.threads),
        tool_versions={**spy.tool_versions, **g.tool_versions},
        errors=spy.errors + g.errors,
        duration_s=round((spy.duration_s or 0) + (g.duration_s or 0), 4),
        options={**spy.options, **g.options, "deep": True},
    )


def collect_core(path: str, exe: str | None, opts: CollectOptions, backends: Backends = BACKENDS) -> Capture:
    """A capture from a core file (raw, .zst or .gz); the executable is read from the core when not given.

    method auto (the default): py-spy's core reader first (a compact copy of the core makes it about as
    fast as pystack), gdb only for what py-spy cannot give: native frames (opts.native or opts.deep), or
    everything when py-spy cannot read the core; the two are merged like --deep. method py-spy: py-spy
    only; method gdb: gdb only.
    """
    from forensics.capture import core as corefile
    from forensics.capture import gdb
    from forensics.redact import redact_argv

    started = time.monotonic()
    if not os.path.isfile(path):
        raise UsageError(f"no core file {path}")
    try:
        taken_at = os.stat(path).st_mtime
    except OSError as exc:
        raise CaptureFailed(f"cannot read {path}: {exc.strerror or exc}") from None
    method = opts.method
    versions: dict = {"hangdump": __version__}
    notes: list[str] = []
    spy: tuple[ThreadStack, ...] | None = None
    stacks: gdb.GdbStacks | None = None
    chosen, libpython = exe, None
    with corefile.opened_core(path) as raw:
        info = corefile.read_core_info(raw)
        chosen = exe or info.exe
        spy_error: HangdumpError | None = None
        spy_notes: list[str] = []

        def read_spy() -> tuple[tuple[ThreadStack, ...] | None, HangdumpError | None]:
            try:
                return backends.pyspy_core(raw, opts, versions, spy_notes), None
            except HangdumpError as exc:
                return None, exc

        gdb_error: HangdumpError | None = None
        if method != "gdb" and (opts.native or opts.deep):
            # Both readers: py-spy runs while gdb loads the core and walks its native frames; the walk then
            # takes py-spy's Python frames (or walks in full if py-spy failed). See merge.spliced_walk.
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(read_spy)
                try:
                    stacks, chosen, libpython = backends.gdb_core(raw, path, exe, info, opts,
                                                                  lambda: pending.result()[0])
                except HangdumpError as exc:
                    gdb_error = exc
                spy, spy_error = pending.result()
        else:
            if method != "gdb":
                spy, spy_error = read_spy()
            if method == "gdb" or (spy is None and method != "py-spy"):
                try:
                    stacks, chosen, libpython = backends.gdb_core(raw, path, exe, info, opts, None)
                except HangdumpError as exc:
                    gdb_error = exc
        notes.extend(spy_notes)
        if method == "py-spy" and spy_error is not None:
            raise spy_error
        if gdb_error is not None:
            if spy is None:
                if spy_error is not None and isinstance(gdb_error, ToolMissing):
                    raise spy_error from None
                raise gdb_error
            notes.append(f"gdb could not add native frames: {gdb_error.one_line()}")
        if spy_error is not None and stacks is not None:
            notes.insert(0, f"py-spy could not read the core ({spy_error}); read it with gdb")
    if stacks is not None:
        versions["gdb"] = stacks.gdb_version
        notes.extend(stacks.notes)
    if exe and info.exe and os.path.realpath(exe) != os.path.realpath(info.exe):
        notes.append(f"--exe {exe} given; the core names {info.exe}")
    if spy is not None and stacks is not None:
        threads = merge_deep(spy, stacks.threads)
    else:
        threads = spy if spy is not None else stacks.threads
    # each thread's kernel state is its registers' syscall (core.core_syscall); a thread no reader saw stays, frameless
    kernel = corefile.kernel_states(info)
    threads = merge_threads(threads, {tid: (None, kernel.get(tid)) for tid in info.tids})
    readers = [r for r, used in (("py-spy", spy is not None), ("gdb", stacks is not None)) if used]
    facts = ProcessFacts(
        cmdline=redact_argv(info.psargs.split()) if info.psargs else (),
        exe=info.exe or chosen,
        python_version=gdb.python_version_of(chosen, libpython, *info.files),
        ppid=info.ppid,
        num_threads=len(info.tids) or len(threads),
        uid=info.uid,
    )
    options = {"native": stacks is not None, "locals": bool(opts.with_locals and spy is not None),
               "exe": chosen, "reader": "+".join(readers)}
    if stacks is not None:
        options["gdb_extension"] = stacks.extension
    if kernel:
        options["kernel"] = "core registers"  # syscall and arguments only: a core has no state, wchan or fds
    host = host_name()
    return Capture(
        id=new_capture_id(taken_at, host, info.pid),
        host=host,
        pid=info.pid,
        taken_at=taken_at,
        method="core",
        trigger=opts.trigger,
        process=facts,
        threads=threads,
        tool_versions=versions,
        errors=tuple(notes),
        source=os.path.abspath(path),
        duration_s=round(time.monotonic() - started, 4),
        options=options,
    )

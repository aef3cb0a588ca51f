"""Captures through gdb: live (``--method gdb``), from a core (``--core``), and ``--deep`` (py-spy and gdb merged).

Imported only when one of those is asked for, or when ``auto`` falls back to gdb: the py-spy
path never pays for it.
"""
from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace

from forensics import __version__, procfs, procraw
from forensics.capture import core as corefile
from forensics.capture import gdb, lock, stoppable
from forensics.capture.guard import target_guard
from forensics.capture.live import CollectOptions, Outcome, host_name, merge_threads, new_capture_id
from forensics.errors import (
    CaptureFailed,
    CaptureTimeout,
    HangdumpError,
    NotPython,
    TargetGone,
    ToolMissing,
    Unstoppable,
    UsageError,
)
from forensics.model import Capture, Frame, ProcessFacts, ThreadStack
from forensics.redact import redact_argv

# py-spy failures that gdb may get past (unsupported or static interpreter, py-spy missing or confused).
# Not: target gone, permission denied (gdb would be denied too), timeouts (a D-state target hangs gdb too).
FALLBACK_ERRORS = (CaptureFailed, NotPython, ToolMissing)


def _libpython(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/maps") as fh:
            for line in fh:
                path = line.rstrip("\n").split(None, 5)[-1] if line.count(" ") >= 5 else ""
                if "/libpython" in path:
                    return path.strip()
    except OSError:
        return None
    return None


def _looks_like_cpython(pid: int) -> bool:
    """An interpreter binary (python3.11, python3) or a mapped libpython: worth gdb when py-spy gave up."""
    exe = _exe(pid)
    name = os.path.basename(os.readlink(exe) if exe and exe.startswith("/proc/") else exe or "")
    return bool(_libpython(pid)) or re.match(r"python\d", name) is not None


def _exe(pid: int) -> str | None:
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None
    # A replaced/deleted binary still has its inode under /proc/PID/exe.
    return f"/proc/{pid}/exe" if exe.endswith(" (deleted)") else exe


def _index_cache() -> list[str]:
    """gdb settings for its DWARF index cache in hangdump's cache directory (empty: no cache).

    gdb indexes libpython's debug info on every run (about 0.1-0.2 s, most of a core's analysis at 20
    threads); the cache, a few MB keyed by build id, lets later runs on the same builds skip it.
    HANGDUMP_GDB_INDEX_CACHE=off disables it.
    """
    if os.environ.get("HANGDUMP_GDB_INDEX_CACHE", "").lower() in ("0", "off", "no", "false"):
        return []
    home = os.environ.get("HANGDUMP_HOME")
    if home:
        path = os.path.join(home, "cache", "gdb-index")
    else:
        path = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "hangdump", "gdb-index")
    if re.search(r"[\s\"'\\]", path):
        return []  # gdb's set commands would need quoting
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError:
        return []
    if not os.access(path, os.W_OK):
        return []
    return [f"set index-cache directory {path}", "set index-cache enabled on"]


def _config(opts: CollectOptions) -> gdb.GdbConfig:
    return gdb.GdbConfig(extension=opts.gdb_ext, timeout_s=opts.timeout_for("gdb"), init_commands=_index_cache())


def _tool_versions(stacks: gdb.GdbStacks, extra: dict | None = None) -> dict:
    out = {"hangdump": __version__, "gdb": stacks.gdb_version}
    if extra:
        out.update({k: v for k, v in extra.items() if k != "hangdump"})
    return out


def collect_gdb_one(pid: int, opts: CollectOptions, store=None, analyser: gdb.Analyser | None = None) -> Capture:
    """One live target through gdb. With opts.keep_core and a store, the core is kept compressed in the store.

    analyser: what gdb does with the target (default: the full walk; --deep: spliced_walk).
    """
    started = time.monotonic()
    cfg = _config(opts)
    gdb.find_gdb(cfg.gdb_path)
    ident = procfs.identity(pid)
    lock.acquire([ident])
    try:
        return _gdb_one(ident, opts, cfg, store, analyser, started)
    finally:
        lock.release([ident])


def _gdb_one(ident, opts: CollectOptions, cfg: gdb.GdbConfig, store, analyser, started: float) -> Capture:
    pid = ident.pid
    taken_at = time.time()
    before = procfs.read_stat(pid)
    stoppable.check_not_zombie(ident, before)
    if not _looks_like_cpython(pid):
        raise NotPython(f"pid {pid} does not look like a CPython process (no python executable, no libpython mapped)")
    # /proc first: once gdb attaches, every thread shows 't' (stopped by the tracer).
    tasks = procraw.snapshot_tasks(pid)
    refusal = stoppable.never_stop(pid)
    found = [refusal] if refusal else stoppable.obstacles(pid, tasks)
    if found:
        raise Unstoppable("; ".join(found))
    kernel = procfs.resolve_fds(pid, procfs.parse_tasks(tasks))
    try:
        facts: ProcessFacts | None = procfs.read_process_facts(pid, taken_at)
    except HangdumpError:
        facts = None
    exe = _exe(pid)
    libpython = _libpython(pid)
    host = host_name()
    capture_id = new_capture_id(taken_at, host, pid)
    notes: list[str] = []
    kept: str | None = None
    keep = opts.keep_core and store is not None
    workdir = None
    try:
        with _diagnosed_timeout(pid), target_guard(ident, notes):
            if keep:
                workdir = store.core_workdir(capture_id)  # locked while we live; stale ones removed first
                raw = os.path.join(workdir, "core")
                corefile.check_disk(workdir, corefile.estimate_core_size(pid), f"a core of pid {pid}")
                with corefile.narrowed_filter(pid, notes):
                    stacks = gdb.attach_live(ident, exe, libpython, cfg, core_out=raw, analyser=analyser)
            else:
                stacks = gdb.attach_live(ident, exe, libpython, cfg, analyser=analyser)
        if keep:
            kept = str(store.put_core(capture_id, raw, rss=facts.rss if facts else None))
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    if not procfs.same_process(ident):
        raise TargetGone(f"pid {pid} exited (or was reused) during the capture")
    options = {"native": True, "locals": False, "gdb_extension": stacks.extension}
    if kept:
        options["core"] = kept
    return Capture(
        id=capture_id,
        host=host,
        pid=pid,
        start_time=round(procfs.ticks_to_epoch(ident.start_ticks), 2),
        taken_at=taken_at,
        method="gdb",
        trigger=opts.trigger,
        process=replace(facts, state=before.state) if facts else None,
        threads=merge_threads(stacks.threads, kernel),
        tool_versions=_tool_versions(stacks),
        errors=tuple(stacks.notes) + tuple(notes),
        duration_s=round(time.monotonic() - started, 4),
        options=options,
    )


@contextmanager
def _diagnosed_timeout(pid: int) -> Iterator[None]:
    """A gdb timeout that a D-state thread or another tracer explains is that, not slowness (Unstoppable)."""
    try:
        yield
    except CaptureTimeout as exc:
        found = stoppable.current_obstacles(pid)
        if not found:
            raise
        raise Unstoppable(f"{exc}: " + "; ".join(found)) from None


def _nonblocking(pid: int, opts: CollectOptions, why: Unstoppable) -> Outcome:
    """The capture of a target gdb must not stop: py-spy --nonblocking, saying why gdb was not used."""
    from forensics.capture import live

    [o] = live.collect_pyspy([pid], replace(opts, method="py-spy", deep=False), None)
    if o.capture is None:
        return Outcome(pid, error=o.error if not isinstance(o.error, ToolMissing) else why)
    said = any(str(why) in e for e in o.capture.errors)
    note = "gdb not used: the target cannot be stopped (see below)" if said else f"gdb not used: {why}"
    return Outcome(pid, capture=replace(o.capture, errors=(note,) + o.capture.errors))


def splice(native: tuple[Frame, ...], evals: tuple[tuple[int, int | None], ...], python: tuple[Frame, ...],
           ) -> tuple[Frame, ...] | None:
    """A native-only stack with ``python`` (leaf first) in place of the eval-loop frames that run them.

    ``evals`` says, per eval frame (leaf first), where it is in ``native`` and how many Python frames it
    runs. None when they do not add up to ``python`` (an unreadable frame link, or py-spy and gdb
    disagree on a thread): the caller then walks that thread in full.
    """
    if any(n is None for _i, n in evals) or sum(n for _i, n in evals) != len(python):
        return None
    out: list[Frame] = []
    at = taken = 0
    for index, count in evals:
        out.extend(native[at:index])
        if count:
            out.extend(python[taken:taken + count])
            taken += count
        else:
            out.append(native[index])  # an eval frame with no Python frame of its own: keep it
        at = index + 1
    out.extend(native[at:])
    return tuple(out)


def merge_deep(spy: Capture | tuple[ThreadStack, ...], stacks: tuple[ThreadStack, ...],
               evals: dict[int, tuple[tuple[int, int | None], ...]] | None = None,
               unspliced: set[int] | None = None) -> tuple[ThreadStack, ...]:
    """py-spy's names, GIL flags and activity with gdb's native frames and lock addresses, by OS tid.

    ``spy`` is a live py-spy capture (--deep) or py-spy's threads from a core (--core --native).
    gdb's frames either carry their own Python frames (a full walk), or come from a native-only walk
    (``evals``, see gdb_walk): then py-spy's Python frames are spliced in at the eval-loop frames, and
    the tids where they do not fit go into ``unspliced`` (with py-spy's frames for now).
    """
    by_tid = {t.tid: t for t in stacks}
    out = []
    for t in spy.threads if isinstance(spy, Capture) else spy:
        g = by_tid.pop(t.tid, None)
        if g is None:
            out.append(t)
            continue
        if evals is not None:
            spliced = splice(g.frames, evals.get(t.tid, ()), t.python_frames)
            if spliced is None and unspliced is not None:
                unspliced.add(t.tid)
            frames = spliced if spliced is not None else t.frames
        else:
            # gdb's frames already interleave the Python frames with the native ones; keep py-spy's when gdb
            # could not read any Python frame (no extension / no debug info) but py-spy could.
            frames = g.frames if (g.python_frames or not t.python_frames) else t.frames
        out.append(replace(
            t,
            frames=frames,
            lock_address=g.lock_address if g.lock_address is not None else t.lock_address,
            owns_gil=t.owns_gil if t.owns_gil is not None else g.owns_gil,
            python_thread_id=t.python_thread_id if t.python_thread_id is not None else g.python_thread_id,
        ))
    out.extend(by_tid.values())
    return tuple(sorted(out, key=lambda s: (s.tid is None, s.tid or 0)))


def spliced_walk(spy: Capture | tuple[ThreadStack, ...] | Callable[[], tuple[ThreadStack, ...] | None]) -> gdb.Analyser:
    """The gdb walk when py-spy already has the Python frames: native frames only, py-spy's spliced in.

    Decoding Python frames through the interpreter's gdb extension costs milliseconds a frame; reading
    the frame links to count them costs next to nothing. Threads where the counts and py-spy's frames
    disagree are walked again in full (same gdb session) and noted. The result is merge_deep's.
    ``spy`` may be a callable that waits for py-spy (run meanwhile); if it gives None, the full walk.
    """
    def analyse(session) -> gdb.GdbStacks:
        native = session.walk(native_only=True)
        threads_of = spy() if callable(spy) else spy
        if threads_of is None:
            return session.walk()
        unspliced: set[int] = set()
        threads = merge_deep(threads_of, native.threads, native.evals, unspliced)
        notes = native.notes
        if unspliced:
            full = session.walk(tids=sorted(unspliced))
            threads = merge_deep(threads, full.threads)
            tids = ", ".join(map(str, sorted(unspliced)))
            note = f"gdb: py-spy's Python frames did not fit the native stack of thread(s) {tids}; walked those in full"
            notes += (note, *(n for n in full.notes if n not in notes))
        return replace(native, threads=threads, notes=notes, evals={})
    return analyse


def _deepen(spy: Capture, opts: CollectOptions, store=None) -> Capture:
    g = collect_gdb_one(spy.pid, opts, store, analyser=spliced_walk(spy))
    return replace(
        spy,
        method="gdb",
        threads=merge_deep(spy, g.threads),
        tool_versions={**spy.tool_versions, **g.tool_versions},
        errors=spy.errors + g.errors,
        duration_s=round((spy.duration_s or 0) + (g.duration_s or 0), 4),
        options={**spy.options, **g.options, "deep": True},
    )


def _parallel(fn, items: list) -> list:
    if len(items) <= 1:
        return [fn(i) for i in items]
    with ThreadPoolExecutor(max_workers=min(len(items), os.cpu_count() or 2)) as pool:
        return list(pool.map(fn, items))


def collect(pids: list[int], opts: CollectOptions, pyspy_outcomes: list[Outcome] | None = None, store=None) -> list[Outcome]:
    """gdb for every pid (method gdb), or the gdb half of auto/deep given py-spy's outcomes."""

    def gdb_one(pid: int) -> Outcome:
        try:
            return Outcome(pid, capture=collect_gdb_one(pid, opts, store))
        except Unstoppable as exc:
            return _nonblocking(pid, opts, exc)
        except HangdumpError as exc:
            return Outcome(pid, error=exc)

    if pyspy_outcomes is None:
        return _parallel(gdb_one, pids)

    def follow(o: Outcome) -> Outcome:
        if o.capture is not None:
            if not opts.deep:
                return o
            try:
                return Outcome(o.pid, capture=_deepen(o.capture, opts, store))
            except HangdumpError as exc:  # Unstoppable too: py-spy's capture already says why
                return Outcome(o.pid, capture=replace(o.capture, errors=o.capture.errors + (f"gdb: {exc.one_line()}",)))
        if isinstance(o.error, NotPython) and not _looks_like_cpython(o.pid):
            return o  # py-spy found no interpreter and nothing says there is one: not ours to capture
        if opts.method == "auto" and isinstance(o.error, FALLBACK_ERRORS):
            g = gdb_one(o.pid)
            if g.capture is not None:
                note = f"py-spy failed ({o.error}); captured with gdb instead"
                return Outcome(o.pid, capture=replace(g.capture, errors=(note,) + g.capture.errors))
            return Outcome(o.pid, error=g.error)
        return o

    return _parallel(follow, pyspy_outcomes)


def _pyspy_core(raw: str, opts: CollectOptions, versions: dict, notes: list[str]) -> tuple[ThreadStack, ...]:
    """py-spy's core reader on a compact copy of the core (see core.compact_for_pyspy): Python frames, names, GIL."""
    import tempfile

    from forensics.capture import pyspy

    binary = pyspy.find_pyspy(opts.pyspy_path)
    versions["py-spy"] = pyspy.pyspy_version(binary)
    tmpdir = tempfile.mkdtemp(prefix="hangdump-core-")
    try:
        try:
            target = corefile.compact_for_pyspy(raw, os.path.join(tmpdir, "core")).path
        except (CaptureFailed, OSError) as exc:
            notes.append(f"no compact copy of the core ({exc}); py-spy read all of it")
            target = raw
        threads = pyspy.dump_core(binary, target, opts.timeout_for("py-spy"), opts.with_locals, opts.redact).threads
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    # py-spy calls every thread of a core active: it cannot see which ones were running. Unknown, not busy.
    return tuple(replace(t, active=None) for t in threads)


def _gdb_core(raw: str, path: str, exe: str | None, info: corefile.CoreInfo, opts: CollectOptions,
              spy: Callable[[], tuple[ThreadStack, ...] | None] | None = None) -> tuple:
    """(GdbStacks, the executable used, libpython) from gdb on the core."""
    chosen = exe or info.exe
    if not chosen:
        raise UsageError(f"the core {path} does not name its executable", help="pass --exe /path/to/python")
    if not os.path.isfile(chosen):
        raise UsageError(
            f"the core was dumped by {chosen}, which is not on this machine",
            help="pass --exe with a copy of that interpreter (same build)",
        )
    libpython = next((f for f in info.files if "/libpython" in f and os.path.isfile(f)), None)
    analyser = spliced_walk(spy) if spy is not None else None
    return gdb.open_core(raw, chosen, libpython, _config(opts), analyser), chosen, libpython


def collect_core(path: str, exe: str | None, opts: CollectOptions) -> Capture:
    """A capture from a core file (raw, .zst or .gz); the executable is read from the core when not given.

    method auto (the default): py-spy's core reader first (a compact copy of the core makes it about as
    fast as pystack), gdb only for what py-spy cannot give: native frames (opts.native or opts.deep), or
    everything when py-spy cannot read the core; the two are merged like --deep. method py-spy: py-spy
    only; method gdb: gdb only.
    """
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
                return _pyspy_core(raw, opts, versions, spy_notes), None
            except HangdumpError as exc:
                return None, exc

        gdb_error: HangdumpError | None = None
        if method != "gdb" and (opts.native or opts.deep):
            # Both readers: py-spy runs while gdb loads the core and walks its native frames; the walk then
            # takes py-spy's Python frames (or walks in full if py-spy failed). See spliced_walk.
            with ThreadPoolExecutor(max_workers=1) as pool:
                pending = pool.submit(read_spy)
                try:
                    stacks, chosen, libpython = _gdb_core(raw, path, exe, info, opts, lambda: pending.result()[0])
                except HangdumpError as exc:
                    gdb_error = exc
                spy, spy_error = pending.result()
        else:
            if method != "gdb":
                spy, spy_error = read_spy()
            if method == "gdb" or (spy is None and method != "py-spy"):
                try:
                    stacks, chosen, libpython = _gdb_core(raw, path, exe, info, opts)
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
    elif spy is not None:
        threads = merge_threads(spy, {tid: (None, None) for tid in info.tids})
    else:
        threads = stacks.threads
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

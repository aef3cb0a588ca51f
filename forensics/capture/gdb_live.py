"""The gdb backend for live targets: attach, walk every thread (native frames, Python frames through the
interpreter's gdb extension), detach; with --keep-core, a compressed core of the stopped target first.

Imported only when gdb is asked for, or when the orchestrator falls back to it: the py-spy path never pays for it.
"""
from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager

from forensics import __version__, procfs, procraw
from forensics.capture import core as corefile
from forensics.capture import gdb, lock, stoppable
from forensics.capture.base import CollectOptions, host_name, new_capture_id
from forensics.capture.gdb_mi import cached_settings
from forensics.capture.guard import target_guard
from forensics.capture.merge import merge_threads
from forensics.errors import CaptureTimeout, HangdumpError, NotPython, TargetGone, Unstoppable
from forensics.model import Capture, ProcessFacts
from forensics.records import replace


def libpython(pid: int) -> str | None:
    try:
        with open(f"/proc/{pid}/maps") as fh:
            for line in fh:
                path = line.rstrip("\n").split(None, 5)[-1] if line.count(" ") >= 5 else ""
                if "/libpython" in path:
                    return path.strip()
    except OSError:
        return None
    return None


def looks_like_cpython(pid: int) -> bool:
    """An interpreter binary (python3.11, python3) or a mapped libpython: worth gdb when py-spy gave up."""
    exe = _exe(pid)
    name = os.path.basename(os.readlink(exe) if exe and exe.startswith("/proc/") else exe or "")
    return bool(libpython(pid)) or re.match(r"python\d", name) is not None


def _exe(pid: int) -> str | None:
    try:
        exe = os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None
    # A replaced/deleted binary still has its inode under /proc/PID/exe.
    return f"/proc/{pid}/exe" if exe.endswith(" (deleted)") else exe


def config(opts: CollectOptions) -> gdb.GdbConfig:
    init_commands, env = cached_settings()
    return gdb.GdbConfig(extension=opts.gdb_ext, timeout_s=opts.timeout_for("gdb"), init_commands=init_commands, env=env)


def tool_versions(stacks: gdb.GdbStacks, extra: dict | None = None) -> dict:
    out = {"hangdump": __version__, "gdb": stacks.gdb_version}
    if extra:
        out.update({k: v for k, v in extra.items() if k != "hangdump"})
    return out


def collect_gdb_one(pid: int, opts: CollectOptions, store=None, analyser: gdb.Analyser | None = None) -> Capture:
    """One live target through gdb. With opts.keep_core and a store, the core is kept compressed in the store.

    analyser: what gdb does with the target (default: the full walk; --deep: spliced_walk).
    """
    started = time.monotonic()
    cfg = config(opts)
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
    if not looks_like_cpython(pid):
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
    lib = libpython(pid)
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
                raw = os.path.join(workdir, "core" + corefile.compressed_suffix())  # compressed as it is written
                corefile.check_disk(workdir, corefile.estimate_core_size(pid), f"a core of pid {pid}")
                with corefile.narrowed_filter(pid, notes):
                    stacks = gdb.attach_live(ident, exe, lib, cfg, core_out=raw, core_limit=corefile.core_budget(),
                                             analyser=analyser)
            else:
                stacks = gdb.attach_live(ident, exe, lib, cfg, analyser=analyser)
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
        tool_versions=tool_versions(stacks),
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

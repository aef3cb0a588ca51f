"""The gdb backend: every thread's native frames with symbols, and Python frames via the interpreter's gdb extension.

gdb runs as a GDB/MI subprocess (``--interpreter=mi3``, see gdb_mi.py), sent its whole opening at
once: the executable, the walker, the target (attach or core) and, for a spliced walk, the native
walk itself, so that gdb never waits for us. For ``collect --core`` that gdb was started at launch
(gdb_prestart.py) and is adopted here. The walk is one MI command, ``-hangdump-stacks``, defined by
``gdb_walk.py`` (see that file for why). Everything here is imported lazily: the py-spy path never
loads it.

Live targets: by default gdb attaches, walks, detaches. That keeps the target stopped for the
walk (about a second for 200 threads) but writes nothing to disk. With ``--keep-core`` the same
gdb session first dumps a core (dump_core: gdb writes the notes, we add the memory the process
touched, compressed as it is written, never past the disk it was checked for; a plain gcore of a
200-thread worker writes gigabytes of untouched 8 MiB stacks), then walks and detaches.
"""
from __future__ import annotations

import contextlib
import glob
import json
import os
import re
import time
from collections.abc import Callable, Iterator

from forensics.capture import core as corefile
from forensics.capture import gdb_prestart
from forensics.capture.gdb_mi import MISession, find_gdb, mi_path, opening
from forensics.errors import GdbError, LowDiskSpace
from forensics.model import Frame, ThreadStack
from forensics.procfs import ProcessIdentity
from forensics.records import field, record, replace


@record
class GdbStacks:
    threads: tuple[ThreadStack, ...]
    notes: tuple[str, ...]
    gil_known: bool
    extension: str | None
    gdb_version: str | None = None
    # native_only walks: tid -> ((index in frames, Python frames that eval frame runs or None), ...), leaf first
    evals: dict[int, tuple[tuple[int, int | None], ...]] = field(default_factory=dict)


@record
class GdbConfig:
    gdb_path: str | None = None
    extension: str | None = None
    timeout_s: float = 30.0
    init_commands: list[str] = field(default_factory=list)  # extra gdb settings, before anything is loaded
    env: dict[str, str] | None = None  # gdb's environment (None: ours)


def python_version_of(*paths: str | None) -> str | None:
    for p in paths:
        if not p:
            continue
        m = re.search(r"python(\d+\.\d+)", os.path.basename(p))
        if m:
            return m.group(1)
    return None


def find_extension(exe: str | None, libpython: str | None = None, explicit: str | None = None) -> str | None:
    """The interpreter's gdb extension (python3.X-gdb.py): --gdb-ext, beside the binary (pyenv), or the distro's auto-load dir."""
    if explicit:
        return explicit
    env = os.environ.get("HANGDUMP_GDB_EXT")
    if env:
        return env
    objs = [p for p in (exe, libpython) if p]
    candidates = []
    for obj in objs:
        real = os.path.realpath(obj)
        for base in dict.fromkeys((obj, real)):
            candidates += [base + "-gdb.py", "/usr/share/gdb/auto-load" + base + "-gdb.py"]
    version = python_version_of(*objs, *(os.path.realpath(o) for o in objs))
    if version:
        candidates += sorted(glob.glob(f"/usr/share/gdb/auto-load/usr/bin/python{version}-gdb.py"))
        candidates += sorted(glob.glob(f"/usr/share/gdb/auto-load/usr/lib/*/libpython{version}*-gdb.py"))
    for c in candidates:
        if os.path.isfile(c):
            return c
    return None


def extension_help(version: str | None) -> str:
    v = version or "3.X"
    return f"install python{v}-dbg (Debian/Ubuntu) or pass --gdb-ext /path/to/python{v}-gdb.py"


def error_message(result: dict) -> str:
    payload = result.get("payload") or {}
    return str(payload.get("msg", "unknown gdb error")) if isinstance(payload, dict) else str(payload)


def expect_done(session: MISession, cmd: str, what: str, timeout_s: float | None = None) -> tuple[dict, list[dict]]:
    res, recs = session.command(cmd, timeout_s)
    if res.get("message") == "error":
        raise GdbError(f"gdb could not {what}: {error_message(res)}")
    return res, recs


def gdb_version(records: list[dict]) -> str | None:
    """gdb's version from the records of ``-gdb-version``."""
    for r in records:
        p = r.get("payload")
        if isinstance(p, str) and p.startswith("GNU gdb"):
            return p.strip().split()[-1]
    return None


def load_extension(session: MISession, extension: str | None) -> list[str]:
    """Source the interpreter's extension (py-bt's). Returns notes: a missing/broken extension is not fatal."""
    notes = []
    if extension is not None:
        res, _ = session.console(f"source {extension}")
        if res.get("message") == "error":
            notes.append(f"gdb extension {extension} failed to load: {error_message(res)}")
    return notes


def walker_loaded(res: dict) -> None:
    """Raise unless ``source gdb_walk.py`` worked."""
    if res.get("message") == "error":
        raise GdbError(f"gdb could not load the hangdump walker: {error_message(res)}",
                       help="gdb must be built with Python support (Debian's gdb is)")


def _walk_args(native_only: bool, tids: list[int] | None) -> str:
    return (" --native-only" if native_only else "") + (f" --tids {','.join(map(str, tids))}," if tids is not None else "")


def walk(session: MISession, native_only: bool = False, tids: list[int] | None = None,
         sent: int | None = None) -> dict:
    """The walker's JSON; ``sent``: the token of this very walk, sent ahead (see _Session.opened)."""
    args = _walk_args(native_only, tids)
    res, recs = session.wait(sent) if sent is not None else session.command("-hangdump-stacks" + args)
    if res.get("message") == "error" and "Undefined MI command" in error_message(res):
        res, recs = session.console("hangdump-stacks-json" + args)
        for r in recs:
            p = r.get("payload")
            if isinstance(p, str) and p.startswith("HANGDUMP-JSON "):
                return json.loads(p[len("HANGDUMP-JSON "):])
        raise GdbError("gdb's stack walk printed nothing")
    if res.get("message") == "error":
        raise GdbError(f"gdb's stack walk failed: {error_message(res)}")
    payload = res.get("payload") or {}
    try:
        return json.loads(payload["json"])
    except (KeyError, TypeError, ValueError) as exc:
        raise GdbError(f"gdb's stack walk returned something unreadable: {exc}") from None


def _frame(raw: dict) -> Frame:
    line = raw.get("line")
    addr = raw.get("address")
    return Frame(
        kind="python" if raw.get("kind") == "python" else "native",
        function=str(raw.get("function") or "?"),
        file=raw.get("file") if isinstance(raw.get("file"), str) else None,
        line=line if isinstance(line, int) and line > 0 else None,
        module=raw.get("module") if isinstance(raw.get("module"), str) else None,
        address=addr if isinstance(addr, int) else None,
    )


def threads_from_walk(data: dict) -> tuple[tuple[ThreadStack, ...], bool]:
    """The walker's JSON to ThreadStacks (frames leaf first). Returns (threads, whether the GIL state was readable)."""
    gil = data.get("gil")
    py_threads = {int(k): v for k, v in (data.get("python_threads") or {}).items()}
    holder = None
    if isinstance(gil, dict) and gil.get("locked"):
        holder = gil.get("native") or py_threads.get(gil.get("pthread"))
        if holder is None:
            holder = next((t.get("tid") for t in data.get("threads", []) if t.get("pthread") == gil.get("pthread")), None)
    gil_known = isinstance(gil, dict)
    out = []
    for t in data.get("threads", []):
        pthread = t.get("pthread")
        is_python = pthread in py_threads or t.get("tid") in py_threads.values()
        frames = tuple(_frame(f) for f in t.get("frames", []))
        out.append(ThreadStack(
            tid=t.get("tid"),
            name=t.get("python_name") or t.get("name") or None,  # threading's name when readable, else the OS one
            python_thread_id=pthread if is_python else None,
            owns_gil=(t.get("tid") == holder) if gil_known else None,
            frames=frames,
            lock_address=t.get("lock_address"),
        ))
    return tuple(sorted(out, key=lambda s: s.tid or 0)), gil_known


def evals_from_walk(data: dict) -> dict[int, tuple[tuple[int, int | None], ...]]:
    """A native_only walk's eval-loop frames per tid: (frame index, Python frames it runs or None if unreadable)."""
    out = {}
    for t in data.get("threads", []):
        found = tuple((i, f.get("python_count")) for i, f in enumerate(t.get("frames", [])) if "python_count" in f)
        if found and t.get("tid") is not None:
            out[t["tid"]] = found
    return out


def analyse(session: MISession, extension: str | None, version: str | None, native_only: bool = False,
            tids: list[int] | None = None, sent: int | None = None) -> GdbStacks:
    """Walk whatever target the session has loaded (live or core); native_only: no Python frames (see gdb_walk)."""
    data = walk(session, native_only, tids, sent)
    threads, gil_known = threads_from_walk(data)
    notes = []
    errors = data.get("errors") or []
    python_seen = any(t.python_frames for t in threads)
    if native_only:
        notes.extend(f"gdb walk: {e}" for e in errors)
    elif extension is None:
        notes.append(f"no gdb extension for Python {version or '?'}: native frames only ({extension_help(version)})")
    elif any("unable to read python frame" in e or "unreadable" in e for e in errors) and not python_seen:
        notes.append(
            "unable to read python frame information: the interpreter has no debug info; native frames only "
            f"({extension_help(version)})"
        )
    elif "no python gdb extension loaded" in errors and not python_seen:
        notes.append(f"{extension} is not a working py-bt extension: native frames only ({extension_help(version)})")
    elif errors:
        notes.extend(f"gdb walk: {e}" for e in errors if e != "no python gdb extension loaded")
    if not gil_known and python_seen:
        notes.append("GIL state unreadable (no debug info for _PyRuntime); owns_gil left unknown")
    return GdbStacks(threads=threads, notes=tuple(notes), gil_known=gil_known, extension=extension,
                     evals=evals_from_walk(data) if native_only else {})



@contextlib.contextmanager
def _session(exe: str | None, libpython: str | None, cfg: GdbConfig, target_cmd: str,
             prefetch_native: bool = False) -> Iterator[_Session]:
    """A gdb session sent all of ``gdb_mi.opening`` at once (or the one gdb_prestart started with those very
    commands); ``_Session.opened`` checks the answers. Killed on any error."""
    gdb_path = find_gdb(cfg.gdb_path)
    version = python_version_of(exe, libpython)
    extension = find_extension(exe, libpython, cfg.extension)
    if cfg.extension and not os.path.isfile(cfg.extension):
        raise GdbError(f"gdb extension {cfg.extension} does not exist", help=extension_help(version))
    cmds = opening(exe, target_cmd, prefetch_native)
    started = gdb_prestart.adopt(gdb_path, cfg.init_commands, cfg.env, cmds)
    if started is None:
        mi = MISession(gdb_path, 0.0, cfg.init_commands, cfg.env)
        started = mi, [mi.send(c) for _what, c in cmds]
    mi, tokens = started
    mi.deadline = time.monotonic() + cfg.timeout_s
    try:
        yield _Session(mi, exe, version, extension, pending=[(what, t) for (what, _c), t in zip(cmds, tokens, strict=True)])
        # Nothing is attached any more (a live target was detached, or it was a core): no need to wait
        # for gdb to exit cleanly, which takes tens of milliseconds, nor for its death.
        mi.kill(reap=False)
    except BaseException:
        mi.kill()
        raise


class _Session:
    """A gdb session sent its opening (see _session): what it knows of the target's interpreter, and the
    answers still to read."""

    def __init__(self, mi: MISession, exe: str | None, version: str | None, extension: str | None,
                 pending: list[tuple[str, int]]) -> None:
        self.mi, self.exe, self.version, self.extension = mi, exe, version, extension
        self.pending = pending  # (what, token) of the opening commands not answered yet
        self.gdb_version: str | None = None
        self.notes: tuple[str, ...] = ()
        self.extension_loaded = False
        self.prefetched: int | None = None  # token of the native-only walk of every thread sent with the target

    def opened(self) -> tuple[dict, list[dict]]:
        """Check the answers to the opening commands; the target command's (attach, core) result and records."""
        target: tuple[dict, list[dict]] = ({}, [])
        for what, token in self.pending:
            if what == "walk":
                self.prefetched = token
                continue
            res, recs = self.mi.wait(token)
            if what == "version":
                self.gdb_version = gdb_version(recs)
            elif what == "walker":
                walker_loaded(res)
            elif what == "exec" and res.get("message") == "error":
                raise GdbError(f"gdb could not read {self.exe}: {error_message(res)}")
            elif what == "target":
                target = res, recs
        self.pending = []
        return target

    def walk(self, native_only: bool = False, tids: list[int] | None = None) -> GdbStacks:
        """Every thread's stack (or those in tids); native_only: native frames, eval frames marked (GdbStacks.evals)."""
        sent = None
        if native_only and tids is None and self.prefetched is not None:
            sent, self.prefetched = self.prefetched, None
        if not native_only and not self.extension_loaded:
            self.notes += tuple(load_extension(self.mi, self.extension))
            self.extension_loaded = True
        stacks = analyse(self.mi, self.extension, self.version, native_only, tids, sent)
        return replace(stacks, notes=self.notes + stacks.notes, gdb_version=self.gdb_version)


# What to do with a loaded target: by default Session.walk(); --deep passes merge.spliced_walk, which walks native
# frames only and splices py-spy's Python frames in (walking in full the threads where that does not fit).
Analyser = Callable[[_Session], GdbStacks]


def attach_live(
    ident: ProcessIdentity,
    exe: str | None,
    libpython: str | None,
    cfg: GdbConfig,
    core_out: str | None = None,
    core_limit: int | None = None,
    analyser: Analyser | None = None,
) -> GdbStacks:
    """Attach to a live process and walk it. With core_out, dump a core first (see dump_core): a raw one is walked
    after detaching, while the target runs again; a compressed one (.zst, .gz) is never on disk uncompressed, so
    the target is walked before. core_limit: the most disk the core may take (else LowDiskSpace).

    The caller wraps this in guard.target_guard so the target is resumed whatever happens to gdb.
    """
    with _session(exe, libpython, cfg, f"-target-attach {ident.pid}") as gdb:
        res, _ = gdb.opened()
        if res.get("message") == "error":
            msg = error_message(res)
            if "ptrace" in msg.lower() or "not permitted" in msg.lower():
                from forensics.capture.stoppable import denial
                from forensics.errors import PermissionDenied

                why = denial(ident.pid)
                raise PermissionDenied(f"gdb may not attach to pid {ident.pid}: {msg}" + (f" ({why})" if why else ""))
            raise GdbError(f"gdb could not attach to pid {ident.pid}: {msg}")
        if core_out is not None:
            dump_core(gdb.mi, ident.pid, core_out, core_limit)
        if core_out is not None and not core_out.endswith(corefile.COMPRESSED_SUFFIXES):
            expect_done(gdb.mi, "-target-detach", "detach")
            expect_done(gdb.mi, f"-target-select core {mi_path(core_out)}", "load the core it wrote")
            return (analyser or _Session.walk)(gdb)
        stacks = (analyser or _Session.walk)(gdb)
        expect_done(gdb.mi, "-target-detach", "detach")
        return stacks


def dump_core(mi: MISession, pid: int, core_out: str, limit: int | None = None) -> None:
    """A core of the attached (stopped) target at core_out (compressed for .zst or .gz), of the mappings its
    coredump_filter selects.

    A plain gcore writes every byte of every mapping, untouched memory as zeros, before anything can compress
    it: gigabytes for a threaded worker (8 MiB stacks, malloc reserves) whose RSS is tens of MiB. So gdb writes
    only the notes (every thread's registers, the auxv, the mapped files: coredump_filter 0 dumps no memory),
    and core.write_core adds the memory, read from /proc/PID/mem while gdb holds the target stopped, leaving out
    what was never touched as the kernel's own dumps do. Disk is checked against what that writes at most, and
    the file is never let grow past it, nor past limit.
    """
    plan = corefile.plan_core(pid, corefile.read_filter(pid))
    what = f"a core of pid {pid}"
    directory = os.path.dirname(core_out) or "."
    if limit is not None and plan.need > limit:
        raise LowDiskSpace(f"not writing {what}: it needs up to {corefile.human(plan.need)}, more than the "
                           f"{corefile.human(limit)} kept cores may take", help="raise HANGDUMP_CORE_BUDGET")
    corefile.check_disk(directory, plan.need, what)
    notes_core = core_out + ".notes"
    try:
        failed: list[str] = []
        with corefile.narrowed_filter(pid, failed, 0):
            if failed:  # gdb would dump all memory: the very size this avoids
                raise GdbError(f"cannot write {what}: {failed[0]}")
            res, _ = mi.console(f"gcore {notes_core}")
        if res.get("message") == "error":
            raise GdbError(f"gdb could not write a core: {error_message(res)}")
        corefile.write_core(pid, notes_core, plan, corefile.CoreSink.to(core_out, plan.need))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(core_out)
        raise
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(notes_core)


def open_core(core: str, exe: str, libpython: str | None, cfg: GdbConfig, analyser: Analyser | None = None,
              prefetch_native: bool = False) -> GdbStacks:
    """Walk a core file with its executable. A core/exe mismatch is an error, not a garbage capture.
    prefetch_native: the analyser's first walk is the native-only one (merge.spliced_walk): sent with the core."""
    with _session(exe, libpython, cfg, f"-target-select core {mi_path(core)}", prefetch_native) as gdb:
        res, recs = gdb.opened()
        if res.get("message") == "error":
            raise GdbError(f"gdb could not open the core {core}: {error_message(res)}",
                           help="is it a complete ELF core file? (`file CORE`)")
        if any("may not match specified executable" in str(r.get("payload")) for r in recs):
            raise GdbError(f"the core {core} does not match the executable {exe}",
                           help="pass --exe with the interpreter that dumped it (the path `file CORE` shows)")
        return (analyser or _Session.walk)(gdb)

"""Start py-spy for `hangdump collect --pid ...` before the CLI has even imported click.

py-spy's own run is the bulk of a capture, so it should start the moment the interpreter is up;
the CLI's imports, the /proc reads and the process facts then overlap it. This module reads only
what it recognises in argv: anything else (another method, a core file, --help, an option it does not
know) and it starts nothing. The CLI later *adopts* a run only when the py-spy argv it builds itself
is identical and the target is the same process; whatever is not adopted is aborted at exit, and the
guard leaves the target running either way.

With more targets than cores, the runs are a queue from the start: one per usable core at first, and
until the CLI's own queue (capture/pyspy_live.py) adopts the first of them, every module the CLI imports
first starts the next target's run in the place of one that has ended (``_RefillAtImports``), so the
cores do not sit idle through the ~60 ms of imports.
"""
from __future__ import annotations

import sys
from collections import deque

from forensics.capture import lock
from forensics.capture.guard import ToolRun, usable_cores, wait_any
from forensics.capture.pyspy import PyspyRun, find_pyspy
from forensics.errors import HangdumpError
from forensics.identity import ProcessIdentity, identity
from forensics.records import tuple_type

# --timings only measures: it changes nothing of what is started
_FLAGS = {"--native", "--locals", "--no-redact", "--json", "--no-store", "--children", "--timings"}
_VALUED = {"--pid", "--store", "--timeout", "--py-spy", "--match", "--method"}
_PYSPY_METHODS = {"py-spy", "auto"}
_RUNS: dict[tuple[str, ...], ToolRun] = {}
_LOCKED: list[ProcessIdentity] = []  # held until the CLI is done with them (collect() holds them too)
_PLANNED: deque[ProcessIdentity] = deque()  # targets whose run starts when an earlier one has ended
_ENDED: set[ToolRun] = set()  # runs whose tool has exited, not adopted yet


class _How(tuple_type("_How", "binary native with_locals width")):
    """How the planned runs are started: binary: str, native and with_locals: bool, width: int (runs at once)."""

    __slots__ = ()


_STATE: dict = {}  # "how": _How of this capture; "busy": a refill is under way (its own imports come back here)


def parse_collect_argv(args: list[str]) -> tuple[list[int], dict[str, str], set[str]] | None:
    pids: list[int] = []
    values: dict[str, str] = {}
    flags: set[str] = set()
    i = 0
    while i < len(args):
        tok = args[i]
        name, eq, inline = tok.partition("=")
        if name in _VALUED:
            if eq:
                value = inline
            elif i + 1 < len(args):
                i += 1
                value = args[i]
            else:
                return None
            if name == "--pid":
                if not value.isdecimal():  # what int() reads ("²" is a digit it does not)
                    return None
                pids.append(int(value))
            else:
                values[name] = value
        elif tok in _FLAGS:
            flags.add(tok)
        else:
            return None
        i += 1
    if values.get("--method", "auto") not in _PYSPY_METHODS:
        return None
    return pids, values, flags


def begin(args: list[str]) -> None:
    """Start py-spy for the first --pids (one per usable core), if argv is plainly a live py-spy capture, and plan
    the others. Never raises."""
    parsed = parse_collect_argv(args)
    if parsed is None:
        return
    pids, values, flags = parsed
    try:
        binary = find_pyspy(values.get("--py-spy"))
    except HangdumpError:
        return
    idents = []
    for pid in dict.fromkeys(pids):
        try:
            idents.append(identity(pid))
        except HangdumpError:
            continue
    # All locks now, or none and no early start: collect() then waits for them in order (see capture/lock.py)
    if not lock.acquire(idents, wait=False):
        return
    _LOCKED.extend(idents)
    _STATE["how"] = _How(binary, "--native" in flags, "--locals" in flags, usable_cores())
    _PLANNED.extend(idents)  # in the order the capture's queue adopts them (see pyspy_live)
    refill()
    if _PLANNED:
        sys.meta_path.insert(0, _RefillAtImports)


def refill() -> None:
    """Start planned runs while fewer than one per usable core are running. Never raises."""
    if not _PLANNED or _STATE.get("busy"):
        return
    how = _STATE["how"]
    _STATE["busy"] = True
    try:
        running = [r for r in _RUNS.values() if r not in _ENDED]
        if len(running) >= how.width:
            ended = wait_any(running, 0.0)
            _ENDED.update(ended)
            running = [r for r in running if r not in ended]
        while _PLANNED and len(running) < how.width:
            ident = _PLANNED.popleft()
            try:  # a target that cannot be started here is left to the capture's queue, which says why
                argv, _refusal = PyspyRun.plan(how.binary, ident.pid, how.native, how.with_locals)
                started = _RUNS[tuple(argv)] = ToolRun(argv, ident, PyspyRun.tool_env(), snapshot=True)
            except (HangdumpError, OSError):
                continue
            running.append(started)
    finally:
        _STATE["busy"] = False


class _RefillAtImports:
    """A meta path finder that finds nothing: each module imported for the first time first calls refill()."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        try:
            refill()
        except Exception:  # noqa: BLE001 - an early start is only a head start: never fail an import for it
            _handed_over()


def starting() -> bool:
    """Whether targets are still waiting for their early start: until the capture's queue takes over, a module
    imported now also keeps the cores busy (the CLI imports what it renders with then)."""
    return bool(_PLANNED)


def _handed_over() -> None:
    """The capture's queue runs the rest: no more runs start here."""
    _PLANNED.clear()
    if _RefillAtImports in sys.meta_path:
        sys.meta_path.remove(_RefillAtImports)


def adopt(argv: list[str], ident: ProcessIdentity) -> ToolRun | None:
    """The run started here with this argv against ident, if any; from the first call on, the caller's queue
    starts the runs of the targets not started yet."""
    _handed_over()
    run = _RUNS.pop(tuple(argv), None)
    if run is None:
        return None
    _ENDED.discard(run)
    if run.ident != ident:
        run.abort()
        return None
    return run


def abort_all() -> None:
    _handed_over()
    _ENDED.clear()
    while _RUNS:
        _RUNS.popitem()[1].abort()
    lock.release(_LOCKED)
    _LOCKED.clear()

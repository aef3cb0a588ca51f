"""Start py-spy for `hangdump collect --pid ...` before the CLI has even imported click.

py-spy's own run is the bulk of a capture, so it should start the moment the interpreter is up;
the CLI's imports, the /proc reads and the process facts then overlap it. This module reads only
what it recognises in argv: anything else (another method, a core file, --help, an option it does not
know) and it starts nothing. The CLI later *adopts* a run only when the py-spy argv it builds itself
is identical and the target is the same process; whatever is not adopted is aborted at exit, and the
guard leaves the target running either way.
"""
from __future__ import annotations

from forensics.capture import lock
from forensics.capture.guard import ToolRun, usable_cores
from forensics.identity import ProcessIdentity, identity

# --timings only measures: it changes nothing of what is started
_FLAGS = {"--native", "--locals", "--no-redact", "--json", "--no-store", "--children", "--timings"}
_VALUED = {"--pid", "--store", "--timeout", "--py-spy", "--match", "--method"}
_PYSPY_METHODS = {"py-spy", "auto"}
_RUNS: dict[tuple[str, ...], ToolRun] = {}
_LOCKED: list[ProcessIdentity] = []  # held until the CLI is done with them (collect() holds them too)


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
    """Start py-spy for the first --pids (one per usable core), if argv is plainly a live py-spy capture. Never raises."""
    from forensics.capture.pyspy import PyspyRun, find_pyspy
    from forensics.errors import HangdumpError

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
    for ident in idents[:usable_cores()]:  # the runs the capture's queue starts first (see pyspy_live)
        pid = ident.pid
        try:
            argv, _refusal = PyspyRun.plan(binary, pid, "--native" in flags, "--locals" in flags)
            _RUNS[tuple(argv)] = ToolRun(argv, ident, PyspyRun.tool_env(), snapshot=True)
        except (HangdumpError, OSError):
            continue


def adopt(argv: list[str], ident: ProcessIdentity) -> ToolRun | None:
    run = _RUNS.pop(tuple(argv), None)
    if run is not None and run.ident != ident:
        run.abort()
        return None
    return run


def abort_all() -> None:
    while _RUNS:
        _RUNS.popitem()[1].abort()
    lock.release(_LOCKED)
    _LOCKED.clear()

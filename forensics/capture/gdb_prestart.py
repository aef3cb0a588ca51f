"""Start gdb for `hangdump collect --core CORE` before the CLI has imported anything.

gdb is most of a core capture with native frames (its start-up, the core and its symbols, the walk: ~300 ms
at 20 threads, pystack's whole run takes ~250), so it should start the moment the interpreter is up; the
CLI's imports, py-spy's read of the core and the summary then overlap it. gdb is started, then the core's
notes are read for its executable (while gdb starts up), then every command of the session's opening
(gdb_mi.opening) is sent at once. This reads only the options it knows in argv: anything else (--pid,
a compressed core, --method py-spy, --no-native, an unknown option) and it starts nothing. The gdb
backend adopts the session only when the gdb, its settings and the commands it would send are the very
ones sent here; a session not adopted is killed (at adoption, or by ``abort`` at exit). A core is a file:
nothing here touches a process.
"""
from __future__ import annotations

import os
import time

from forensics.capture.gdb_mi import MISession, cached_settings, find_gdb, mi_path, opening
from forensics.errors import HangdumpError

_FLAGS = {"--native", "--no-native", "--deep", "--locals", "--no-redact", "--json", "--no-store", "--timings"}
_VALUED = {"--core", "--exe", "--method", "--timeout", "--gdb-ext", "--store", "--py-spy", "--benign"}
_STATE: dict = {}  # "key": what was started, "mi": its session, "tokens": the opening's tokens
PRESTART_DEADLINE_S = 600.0  # until adopted; the backend then sets its own deadline
COMPRESSED = (".zst", ".gz")  # core.COMPRESSED_SUFFIXES (read by opened_core), without importing core first


def plan(args: list[str]) -> tuple[str, str | None, bool] | None:
    """(core, --exe or None, whether the first walk is the native-only one) when ``collect ARGS`` reads a raw
    core with gdb; None otherwise. Mirrors orchestrate.collect_core: gdb runs with --method gdb (its full walk
    comes after the extension is loaded, so nothing is sent ahead of it), and with auto when native frames
    are asked for (the default for a core) or --deep: the native walk, py-spy's frames spliced in."""
    values: dict[str, str] = {}
    flags: set[str] = set()
    i = 0
    while i < len(args):
        name, eq, inline = args[i].partition("=")
        if name in _VALUED:
            if not eq:
                i += 1
                if i >= len(args):
                    return None
                inline = args[i]
            values[name] = inline
        elif args[i] in _FLAGS:
            flags.add(args[i])
        else:
            return None
        i += 1
    core, method = values.get("--core"), values.get("--method", "auto")
    if not core or core.endswith(COMPRESSED) or method not in ("auto", "gdb"):
        return None
    if method == "auto" and "--no-native" in flags and "--deep" not in flags:
        return None
    return core, values.get("--exe"), method == "auto"


def begin(args: list[str]) -> None:
    """Start gdb on the core ``collect ARGS`` names (see the module's docstring); quietly nothing if it cannot."""
    if "--core" not in args and not any(a.startswith("--core=") for a in args):
        return
    planned = plan(args)
    if planned is None or not os.path.isfile(planned[0]):
        return
    core, exe, prefetch = planned
    try:
        gdb_path = find_gdb(None)
        init_commands, env = cached_settings()
        mi = MISession(gdb_path, time.monotonic() + PRESTART_DEADLINE_S, init_commands, env)
    except HangdumpError:
        return
    try:
        if exe is None:
            from forensics.capture.core import read_core_info

            exe = read_core_info(core).exe
        if not exe or not os.path.isfile(exe):
            raise FileNotFoundError(exe)
        cmds = opening(exe, f"-target-select core {mi_path(core)}", prefetch)
        tokens = [mi.send(c) for _what, c in cmds]
    except Exception:  # noqa: BLE001 - a head start only: the CLI's own checks say what is wrong, as one line
        mi.kill()
        return
    _STATE.update(key=(gdb_path, tuple(init_commands), env, tuple(cmds)), mi=mi, tokens=tokens)


def adopt(gdb_path: str, init_commands: list[str], env: dict[str, str] | None,
          cmds: list[tuple[str, str]]) -> tuple[MISession, list[int]] | None:
    """The session started by ``begin`` and its opening's tokens if it is this one; None otherwise (one that is
    not is killed: nothing else would use it)."""
    if "mi" not in _STATE:
        return None
    if _STATE["key"] != (gdb_path, tuple(init_commands), env, tuple(cmds)):
        abort()
        return None
    mi, tokens = _STATE.pop("mi"), _STATE.pop("tokens")
    _STATE.clear()
    return mi, tokens


def abort() -> None:
    """Kill a session that was not adopted (at exit)."""
    mi = _STATE.pop("mi", None)
    _STATE.clear()
    if mi is not None:
        mi.kill()

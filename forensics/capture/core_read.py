"""The two readers of a core file: py-spy's (Python frames, thread names, the GIL) and gdb's (native frames).

The orchestrator picks and combines them (see orchestrate.collect_core); neither knows of the other.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable

from forensics.capture import core as corefile
from forensics.capture import gdb
from forensics.capture.base import CollectOptions
from forensics.capture.gdb_live import config
from forensics.capture.merge import spliced_walk
from forensics.errors import CaptureFailed, UsageError
from forensics.model import ThreadStack
from forensics.records import replace


def pyspy_core(raw: str, opts: CollectOptions, versions: dict, notes: list[str]) -> tuple[ThreadStack, ...]:
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


def gdb_core(raw: str, path: str, exe: str | None, info: corefile.CoreInfo, opts: CollectOptions,
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
    return gdb.open_core(raw, chosen, libpython, config(opts), analyser, prefetch_native=spy is not None), chosen, libpython

"""The `hangdump` entry point. For a live capture it starts py-spy first (see capture/prestart.py); a plain one
(``--pid``s and the flags prestart knows) then runs without click (cli/collecting.py), anything else through
the click CLI, whose imports overlap py-spy's run."""
from __future__ import annotations

import os
import sys


def run() -> None:
    from forensics import timings  # noqa: F401 - first: its clock starts at import

    argv = sys.argv[1:]
    prestarted = argv[:1] == ["collect"]
    if prestarted:
        # A capture lives well under a second and ends in os._exit: the cyclic collector's passes (~5% of a
        # capture's instructions, triggered by the allocations of imports and parsing) free nothing it needs.
        import gc

        gc.disable()
    # collect --core: gdb first (prestart.begin starts nothing for a core). Only then: gdb's session module
    # imports subprocess and shutil (with bz2 and lzma), ~20 M instructions a live capture has no use for.
    core = prestarted and any(a == "--core" or a.startswith("--core=") for a in argv[1:])
    if core:
        from forensics.capture import gdb_prestart

        gdb_prestart.begin(argv[1:])
    if prestarted:
        from forensics.capture import prestart

        prestart.begin(argv[1:])
    try:
        code = None
        if prestarted:
            from forensics.cli.collecting import fast

            code = fast(argv[1:])
        if code is None:
            from forensics.cli import main

            code = main(argv)
    finally:
        if prestarted:
            prestart.abort_all()
        if core:
            gdb_prestart.abort()
    # Everything we wrote is closed (the store fsyncs and renames; reports are closed files): skip the
    # interpreter's teardown of thousands of frame objects, ~15 ms of a capture's wall time.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except OSError:  # the reader went away (`hangdump ls | head`): nothing more to say
            code = code or 1
    os._exit(code)

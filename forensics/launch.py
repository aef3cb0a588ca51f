"""The `hangdump` entry point. For a live capture it starts py-spy first (see capture/prestart.py),
then runs the click CLI, whose imports overlap py-spy's run."""
from __future__ import annotations

import sys


def run() -> None:
    argv = sys.argv[1:]
    prestarted = argv[:1] == ["collect"]
    if prestarted:
        from forensics.capture import prestart

        prestart.begin(argv[1:])
    try:
        from forensics.cli import main

        code = main(argv)
    finally:
        if prestarted:
            prestart.abort_all()
    sys.exit(code)

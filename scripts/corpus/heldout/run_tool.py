#!/usr/bin/env python3
"""subprocess.run(capture_output=True) with no timeout on a child that never exits.

``exporter`` runs export_snapshot() -> run_tool() -> ``subprocess.run([...], capture_output=True)``
(communicate() through a selector on the pipes); the child tool waits forever.
"""
import subprocess
import sys

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.
CHILD = "import os, signal, ctypes, time\nctypes.CDLL(None).prctl(1, 9, 0, 0, 0)\nwhile True:\n    time.sleep(60)\n"


def run_tool(argv):
    return subprocess.run(argv, capture_output=True, check=False)  # blocks: no timeout


def export_snapshot(path):
    done = run_tool([sys.executable, "-c", CHILD, path])
    return done.returncode


def main():
    app.boot("run_tool", __doc__.splitlines()[0])
    e = app.start("exporter", "subprocess-wait", export_snapshot, "/tmp/snapshot")
    import threading
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(p for p in _children()):
        threading.Event().wait(0.01)
    threading.Event().wait(0.2)
    app.ready(children=[{"pid": p, "role": "tool"} for p in _children()])
    app.wait_for_workers([e])


def _children():
    import os

    try:
        with open(f"/proc/{os.getpid()}/task/{os.getpid()}/children") as fh:
            kids = [int(x) for x in fh.read().split()]
    except OSError:
        kids = []
    for tid in os.listdir(f"/proc/{os.getpid()}/task"):
        try:
            with open(f"/proc/{os.getpid()}/task/{tid}/children") as fh:
                kids += [int(x) for x in fh.read().split()]
        except OSError:
            pass
    return sorted(set(kids))


if __name__ == "__main__":
    main()

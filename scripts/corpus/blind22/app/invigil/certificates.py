"""Certificate PDFs: rasterizing the signature seal (through the imaging library's C renderer) and batch
rendering through the external PDF renderer."""
from __future__ import annotations

import ctypes
import subprocess
import sys
import threading
import time

from .ready import announce

_progress = {"pages": 0}


def _progress_ticker() -> None:
    while True:  # reports render progress to the status page
        _progress["pages"] += 1
        time.sleep(0.05)


def rasterize_certificate(candidate: str, role: str) -> bytes:
    """The seal renderer is a C routine called through ctypes.PyDLL: it keeps the GIL for the whole render."""
    threading.Thread(target=_progress_ticker, name="render-progress", daemon=True).start()
    time.sleep(0.2)
    renderer = ctypes.PyDLL(None)  # (stands in for the seal renderer: a long C call holding the GIL)
    announce(role, "sleep")
    renderer.sleep(3600)
    return b"%PDF-1.7"


RENDERER = "import sys\ntemplate = sys.stdin.read()\nprint(len(template))\n"


def render_certificate_batch(cohort: str, role: str) -> int:
    """Feed the cohort's certificate template to the renderer and wait for it to finish."""
    proc = subprocess.Popen([sys.executable, "-c", RENDERER], stdin=subprocess.PIPE)
    proc.stdin.write(f"<certificate cohort='{cohort}'/>".encode() * 64)
    proc.stdin.flush()  # never closed: the renderer reads to EOF forever
    announce(role, "wait4")
    return proc.wait()

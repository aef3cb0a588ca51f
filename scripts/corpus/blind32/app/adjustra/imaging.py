"""Photo damage assessment: EXIF thumbnails of the policyholder's photos, contact sheets for the adjuster."""
from __future__ import annotations

import ctypes
import subprocess
import sys
import threading
import time

from adjustra.ops import report

_progress = {"ticks": 0}


def _progress_beacon() -> None:
    while True:  # the UI progress bar of the assessment
        _progress["ticks"] += 1
        time.sleep(0.05)


def decode_exif_thumbnail(photo_id: str, quality: int) -> bytes:
    # the vendor's decoder is loaded with PyDLL (it calls back into Python), so it never releases the GIL;
    # on a corrupt IFD chain it waits for a "retry" that never comes
    decoder = ctypes.PyDLL(None)
    report("sleep")
    decoder.sleep(3600)
    return photo_id.encode() * quality


def assess_photo_damage(claim_id: str, photos: int) -> dict:
    threading.Thread(target=_progress_beacon, name="assessment-progress", daemon=True).start()
    thumbs = [decode_exif_thumbnail(f"{claim_id}-p{n}", 2) for n in range(photos)]
    return {"claim": claim_id, "thumbnails": len(thumbs)}


CONTACT_SHEET = "import sys\nsys.stdout.write('P6 640 480 255\\n' + 'x' * (4 << 20))\nsys.stdout.flush()\n"


def build_contact_sheet(claim_id: str) -> bytes:
    # the montage tool writes the whole sheet to stdout; waiting for it before reading its pipe deadlocks
    # once the sheet is larger than the pipe buffer
    proc = subprocess.Popen([sys.executable, "-c", CONTACT_SHEET], stdout=subprocess.PIPE)
    report("wait4")
    proc.wait()
    return proc.stdout.read()

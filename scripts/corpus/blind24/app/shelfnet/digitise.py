"""Digitisation: scan batches are recorded in the shared manifest and OCRed by the OCR engine."""
from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys

from shelfnet import config

# the OCR engine waits for its licence dongle forever when the dongle is on another host
OCR_ENGINE = "import time, sys\nsys.stderr.write('waiting for licence dongle\\n')\ntime.sleep(3600)\n"


def append_scan_manifest(batch: str, pages: int) -> None:
    fd = os.open(config.scan_lock_path(), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        config.announce("flock")
        fcntl.flock(fd, fcntl.LOCK_EX)  # the nightly archiver on the other host holds it
        os.write(fd, (json.dumps({"batch": batch, "pages": pages}) + "\n").encode())
    finally:
        os.close(fd)


def publish_scan_batch(batch: str, pages: int) -> dict:
    append_scan_manifest(batch, pages)
    return {"batch": batch, "pages": pages}


def run_ocr_engine(scan: str, lang: str) -> int:
    config.announce("wait4")
    return subprocess.run([sys.executable, "-c", OCR_ENGINE, scan, lang], check=False).returncode


def ocr_digitised_page(scan: str) -> dict:
    return {"scan": scan, "rc": run_ocr_engine(scan, "eng+fra")}

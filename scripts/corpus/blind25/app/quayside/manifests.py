"""Vessel manifests: BAPLIE/EDI pulls from the shipping line portal and the legacy converter."""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.request

from quayside.runtime import READY

CONVERTER = (
    "import fcntl, os, sys\n"
    "fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT)\n"
    "fcntl.flock(fd, fcntl.LOCK_EX)\n"  # the converter serializes on the shared spool lock
    "sys.stdout.write('converted\\n')\n"
)


def fetch_baplie_segment(portal: str, voyage: str, segment: int) -> bytes:
    url = f"{portal}/edi/baplie/{voyage}/{segment}"
    READY.mark("recv")
    with urllib.request.urlopen(url) as resp:  # the portal client has no timeout configured
        return resp.read()


def import_vessel_manifest(opts: dict):
    portal = f"http://127.0.0.1:{opts['port']}"
    voyage = f"MSCX{opts.get('unit', 1):03d}W"
    segments = []
    for segment in range(int(opts.get("rows", 1))):
        segments.append(fetch_baplie_segment(portal, voyage, segment))
    return b"".join(segments)


def run_edi_converter(spool: str, path: str) -> None:
    READY.mark("wait4")
    subprocess.run([sys.executable, "-c", CONVERTER, spool, path], check=True)


def convert_baplie_files(opts: dict):
    spool = opts["lock_path"]
    for n in range(int(opts.get("rows", 1))):
        run_edi_converter(spool, os.path.join(os.environ.get("TMPDIR", "/tmp"), f"baplie-{n}.edi"))

"""Catalog sync: MARC batches converted to MARCXML by the converter tool, which starts its cache daemon."""
from __future__ import annotations

import subprocess
import sys

from shelfnet import config

# the converter forks its record cache daemon on first use; the daemon keeps the converter's stdout open
CONVERTER = (
    "import subprocess, sys\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(3600)'])\n"
    "for rec in sys.argv[1:]:\n"
    "    print('<record><controlfield tag=\"001\">%s</controlfield></record>' % rec)\n"
)


def convert_marc_batch(batch: str, records: list[str]) -> str:
    config.announce("recv")
    # check_output reads stdout to EOF: the cache daemon still holds the pipe, the converter exited long ago
    return subprocess.check_output([sys.executable, "-c", CONVERTER, *records], text=True)


def sync_marc_batch(batch: str, records: list[str]) -> dict:
    xml = convert_marc_batch(batch, records)
    return {"batch": batch, "records": xml.count("<record>")}

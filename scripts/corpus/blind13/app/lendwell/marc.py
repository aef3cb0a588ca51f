"""MARC records: subfield validation on import, and conversion of batches through the marcconv child."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time

# a title subfield: $a then words; nested repetition, so a record that fails to match backtracks for ever
_SUBFIELD = re.compile(r"^(\$[a-z](\w+\s?)+)+$")


def validate_marc_subfields(field: str) -> bool:
    return _SUBFIELD.match(field) is not None


def _index_events(ctx) -> None:
    n = 0
    while True:
        n += sum(range(200))
        time.sleep(0.005)


def import_marc_records(ctx) -> None:
    ctx.expect(1)
    threading.Thread(target=_index_events, args=(ctx,), name="index-events", daemon=True).start()
    record = "$aHistory of the parish of Saint Mary Magdalene and its chapelries volume two!"
    ctx.checkpoint("running", hold=True)
    validate_marc_subfields(record)


def convert_marc_batch(ctx, records: list) -> int:
    conv = subprocess.Popen([sys.executable, "-m", "lendwell.marcconv", "--to", "marcxml"],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=dict(os.environ))
    for rec in records:
        conv.stdin.write(rec.encode() + b"\x1d")
    conv.stdin.flush()
    ctx.checkpoint("wait4")
    return conv.wait()  # stdin is never closed: the converter waits for the end of the batch


def export_marc(ctx) -> None:
    ctx.expect(1)
    convert_marc_batch(ctx, [f"00714cam a2200205 a 4500{n:05d}" for n in range(int(ctx.get("queued", 0)) + 3)])

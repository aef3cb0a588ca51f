"""The nightly observation archive: compressed through gzip into the archive directory."""
from __future__ import annotations

import os
import subprocess
import tempfile


def compress_archive(rows: list[str], target: str) -> int:
    with open(target, "wb") as out:
        proc = subprocess.Popen(["gzip", "-c"], stdin=subprocess.PIPE, stdout=out)
        proc.stdin.write("\n".join(rows).encode())
        proc.stdin.flush()
        return proc.wait()


def archive_day(day: str) -> int:
    rows = [f"{day},{n},4.5,1011.2" for n in range(500)]
    return compress_archive(rows, os.path.join(tempfile.gettempdir(), f"obs-{day}.csv.gz"))

"""marcconv: reads a batch of MARC records on stdin (up to EOF) and writes them out converted."""
from __future__ import annotations

import sys


def main() -> int:
    data = sys.stdin.buffer.read()
    for rec in data.split(b"\x1d"):
        sys.stdout.buffer.write(b"<record>" + rec + b"</record>\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

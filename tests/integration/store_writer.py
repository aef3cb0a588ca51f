"""A store writer to kill (test_store_durability forks one): puts capture number i, i+1, ... and reports each
id on a pipe once it is stored. ``numbered`` says what capture i is, byte for byte, for both sides."""
from __future__ import annotations

import os

from forensics.model import Capture
from forensics.store.local import LocalStore


def numbered(base: Capture, i: int) -> Capture:
    """Capture number i: its own id, and big (0.2 to 0.6 MB) so that writing it takes a while."""
    return base.with_changes(id=f"20260101T000000.000Z-writer-{i}-{i:06x}", pid=i,
                             threads=base.threads * (20 + 10 * (i % 5)))


def write_forever(store_dir: str, base_path: str, progress_fd: str, first: str) -> None:
    with open(base_path, encoding="utf-8") as fh:
        base = Capture.from_json(fh.read())
    store, i = LocalStore(store_dir), int(first)
    with os.fdopen(int(progress_fd), "w", buffering=1) as out:
        while True:
            out.write(store.put(numbered(base, i)).id + "\n")
            i += 1


"""Captures a remote store could not take yet, kept on the local disk until it can.

A spool is a local directory store (``store/local.py``) of its own: the same atomic writes (temp file,
fsync, link), 0600 files in 0700 directories, the same id checks and defensive reads, so a spooled capture
is as safe as a stored one and a crash mid-write leaves nothing half-written. ``drain`` hands every spooled
capture to a push function and removes its file only once the push said it is there: a crash between the
two pushes it again next time, which an idempotent push (the Redis store's) turns into a no-op.
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from forensics.errors import CaptureFormatError
from forensics.model import Capture
from forensics.store.local import LocalStore, Skipped, Stored


class PushFailed(Exception):
    """The remote store is unreachable: stop draining, keep what is left for next time."""


@dataclass(frozen=True)
class Drained:
    pushed: int = 0
    left: int = 0
    errors: tuple[str, ...] = ()


class Spool:
    def __init__(self, root: Path | str) -> None:
        self.store = LocalStore(root)

    @property
    def root(self) -> Path:
        return self.store.root

    def put(self, capture: Capture) -> Stored:
        return self.store.put(capture)

    def pending(self) -> int:
        try:
            return len(self.store.paths())
        except Exception:  # noqa: BLE001 - an unreadable spool is an empty one for the caller, reported by drain
            return 0

    def drain(self, push: Callable[[Capture], object]) -> Drained:
        """Push every spooled capture, oldest first; stop at the first PushFailed. A file that is not a capture
        is left where it is and named in ``errors`` (it was not written by us, or it was damaged)."""
        if not self.store.captures_dir.is_dir():
            return Drained()
        pushed, errors = 0, []
        items = list(self.store.scan_docs())
        for i, item in enumerate(items):
            if isinstance(item, Skipped):
                errors.append(f"{item.path}: {item.reason}")
                continue
            path, doc = item
            try:
                capture = Capture.from_dict(doc)
            except CaptureFormatError as exc:
                errors.append(f"{path}: {exc}")
                continue
            try:
                push(capture)
            except PushFailed:
                return Drained(pushed, len(items) - i, tuple(errors))
            with contextlib.suppress(FileNotFoundError):  # another drain pushed it too: the push was a no-op
                os.unlink(path)
            pushed += 1
        return Drained(pushed, 0, tuple(errors))

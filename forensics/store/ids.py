"""The capture id grammar: ``<UTC time>Z-<host>-<pid or x>-<tail>``, e.g. ``20261123T225432.065Z-web-3-4242-9bc28d``.

An id names a file in the store, so it must never be able to name anything else: the grammar admits one
path component only (no ``/``, no NUL, no leading dot, bounded length). Every path that turns an id into
a file name (import, collect, the store, ``show``, ``serve``) checks it here first.
"""
from __future__ import annotations

import re

from forensics.errors import CaptureFormatError

# \w is alphanumeric or "_" (what ``new_capture_id`` keeps of a host name), never "/" or a control character.
_ID = re.compile(r"[0-9]{8}T[0-9]{6}\.[0-9]{3}Z-[\w.-]{1,40}-(?:[0-9]+|x)-[0-9a-z]{1,40}")
MAX_LEN = 120


def is_capture_id(text: object) -> bool:
    return isinstance(text, str) and len(text) <= MAX_LEN and _ID.fullmatch(text) is not None


def check_id(text: object) -> str:
    """``text`` if it is a capture id; else a CaptureFormatError that shows it harmlessly (repr, truncated)."""
    if not is_capture_id(text):
        shown = repr(text) if len(repr(text)) <= 80 else repr(text)[:77] + "..."
        raise CaptureFormatError(
            f"{shown} is not a capture id",
            help="ids look like 20261123T225432.065Z-web-3-4242-9bc28d; `hangdump ls` lists them",
        )
    return text  # type: ignore[return-value]


def with_tail(ident: str, tail: str) -> str:
    """The same time, host and pid with another tail: a new id for a different capture that claimed this one."""
    return f"{check_id(ident).rsplit('-', 1)[0]}-{tail}"

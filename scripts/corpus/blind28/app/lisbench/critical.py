"""Critical-value call lists: the ward's charge nurse screen long-polls for new critical results."""
from __future__ import annotations

import threading

from . import config

_CHANGED = threading.Condition()
_CALL_LIST: dict[str, list[dict]] = {}


def post_critical(ward: str, accession: str, analyte: str, value: str) -> None:
    """Called by the result-verification request (on whichever worker process served it)."""
    with _CHANGED:
        _CALL_LIST.setdefault(ward, []).append({"accession": accession, "analyte": analyte, "value": value})
        _CHANGED.notify_all()


def wait_for_new_critical(ward: str, seen: int) -> list[dict]:
    with _CHANGED:
        config.announce("futex")
        while len(_CALL_LIST.get(ward, ())) <= seen:
            _CHANGED.wait()
        return _CALL_LIST[ward][seen:]

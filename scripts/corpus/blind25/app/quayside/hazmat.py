"""Hazardous cargo declarations: dangerous-goods filings to the port authority's DG register."""
from __future__ import annotations

import threading

from quayside.runtime import READY

DG_SESSIONS = threading.BoundedSemaphore(2)  # the register allows two concurrent sessions per terminal


class RegisterError(Exception):
    pass


def open_dg_session(un_number: str) -> None:
    READY.mark("futex")
    DG_SESSIONS.acquire()


def file_declaration(un_number: str, imo_class: str) -> None:
    open_dg_session(un_number)
    if imo_class == "7":
        raise RegisterError(f"UN{un_number}: class 7 needs the radiation annex")  # bug: session never released
    DG_SESSIONS.release()


def file_dg_declarations(opts: dict):
    waiters = int(opts.get("waiters", 0))
    READY.expect(1 + waiters + 2)
    for un, cls in (("2912", "7"), ("3332", "7")):
        try:
            file_declaration(un, cls)
        except RegisterError:
            pass
    for i in range(waiters):
        threading.Thread(target=file_declaration, args=(f"12{i:02d}", "3"), name=f"dg-filer-{i}",
                         daemon=True).start()
    file_declaration("1203", "3")

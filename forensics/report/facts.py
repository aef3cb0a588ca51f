"""What the report adds to each capture from the others and from the watchdog: its role, what happened next.

Roles: what the capture's ``process.worker`` says (fleet/role.py: celery, gunicorn), else process facts:
a process with children (or whose pid is another capture's parent, on the same host) is a master;
one whose parent was captured too is a pool child. Each framework's own words are used (gunicorn:
arbiter and worker).
What the watchdog did next comes from its journal in the store (``watch/journal.jsonl``), which
records the capture id it took and the signals it sent to that same process (pid and start time), and,
when given, its event log (``watch --event-log``), which also says whether the process then exited.
"""
from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Sequence

_WORDS = {"gunicorn": {"master": "arbiter", "child": "worker"}}  # framework -> its words for process.worker.role
_GENERIC = {"master": "master", "child": "pool child"}


def roles(captures: Sequence[tuple]) -> list[str | None]:
    """Per capture (``Payload.role_facts``: host, pid, ppid, framework, role the worker told, has children): master /
    pool child (or the framework's words), or None for a lone process."""
    captured = {(host, pid) for host, pid, *_ in captures if pid is not None}
    parents = {(host, ppid) for host, _, ppid, *_ in captures if ppid is not None and (host, ppid) in captured}
    out: list[str | None] = []
    for host, pid, ppid, kind, told, children in captures:
        words = _WORDS.get(kind or "", _GENERIC)
        if told is not None:
            out.append(words.get(told, told))
        elif (host, pid) in parents or children:
            out.append(words["master"])
        elif ppid is not None and (host, ppid) in captured:
            out.append(words["child"])
        else:
            out.append(None)
    return out


def _lines(path: str) -> list[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read().splitlines()
    except OSError:
        return []


def followups(store_root: str, ids: list[str], event_log: str | None = None) -> dict[str, str]:
    """Capture id -> what the watchdog did to that process after taking it ("signalled SIGTERM, then SIGKILL").

    The journal knows the signals; whether the process then exited is only in the watchdog's event log
    (``watch --event-log``), read when given: its ``captured`` and ``exited`` events carry pid and start time.
    """
    wanted = set(ids)
    lines = _lines(os.path.join(store_root, "watch", "journal.jsonl"))
    taken: dict[tuple, str] = {}
    done: dict[tuple, list[str]] = defaultdict(list)
    for line in lines:
        try:
            rec = json.loads(line)
        except ValueError:
            continue  # a line cut by a crash; the journal itself skips it too
        if not isinstance(rec, dict):
            continue
        key = (rec.get("pid"), rec.get("start_ticks"))
        what = rec.get("what")
        if what == "captured" and rec.get("capture_id") in wanted:
            taken[key] = rec["capture_id"]
        elif what == "signal":
            done[key].append(f"the watchdog signalled {rec.get('signal') or 'it'}")
        elif what == "kill":
            done[key].append("the watchdog killed it (SIGKILL)")
    for line in _lines(event_log) if event_log else ():
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if isinstance(ev, dict):
            key = (ev.get("pid"), ev.get("start_ticks"))
            if ev.get("event") == "captured" and ev.get("capture_id") in wanted:
                taken[key] = ev["capture_id"]
            elif ev.get("event") == "exited":
                done[key].append(f"the process exited (after {ev.get('after') or 'a signal'})")
    return {cid: ", then ".join(done[key]) for key, cid in taken.items() if done.get(key)}

"""The event log: one JSON object per line (detected, captured, capture_failed, signalled, exited, skipped,
alert), and the same event as one readable line on the terminal."""
from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable

from forensics.identity import ProcessIdentity

KINDS = ("detected", "captured", "capture_failed", "signalled", "exited", "skipped", "alert")


class Events:
    def __init__(self, path: str | None = None, echo: Callable[[str], None] | None = None,
                 now: Callable[[], float] = time.monotonic, quiet: bool = False) -> None:
        """``echo`` receives the readable line of each event (default: stderr); ``quiet``: none."""
        self.path = path
        self.echo = None if quiet else echo or _to_stderr
        self.now = now
        self.history: list[dict] = []  # kept for the library caller (tests, the demo)
        self._lock = threading.Lock()

    def emit(self, kind: str, ident: ProcessIdentity | None = None, **fields) -> dict:
        assert kind in KINDS, kind
        event = {"ts": round(time.time(), 3), "mono": round(self.now(), 4), "event": kind}
        if ident is not None:
            event.update(pid=ident.pid, start_ticks=ident.start_ticks)
        event.update({k: v for k, v in fields.items() if v is not None})
        with self._lock:
            self.history.append(event)
            if self.path:
                with open(self.path, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps(event, ensure_ascii=False, default=str) + "\n")
            if self.echo is not None:
                self.echo(readable(event))
        return event

    def of(self, kind: str, pid: int | None = None) -> list[dict]:
        with self._lock:
            return [e for e in self.history if e["event"] == kind and (pid is None or e.get("pid") == pid)]


def _to_stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def readable(e: dict) -> str:
    stamp = time.strftime("%H:%M:%S", time.localtime(e["ts"]))
    who = f"pid {e['pid']}" if "pid" in e else "watchdog"
    kind = e["event"]
    if kind == "detected":
        text = f"{e.get('rule')} ({_brief(e.get('evidence') or {})})"
    elif kind == "captured":
        text = f"capture {e.get('capture_id')} stored in {e.get('seconds')}s"
    elif kind == "signalled":
        text = f"sent {e.get('signal')} ({e.get('why')})"
    elif kind == "exited":
        text = f"exited after {e.get('after')}"
    else:
        text = e.get("why") or e.get("error") or ""
    return f"{stamp} hangdump watch: {who}: {kind}: {text}"


def _brief(evidence: dict) -> str:
    keys = ("task", "last_beat_age_s", "task_age_s", "cpu_share", "window_s", "value", "ppid")
    return ", ".join(f"{k}={evidence[k]}" for k in keys if k in evidence) or "no details"

"""The watchdog's one call into the capture pipeline (capture/orchestrate.collect), under a time budget.

Kept to this one function so the call site can move when capture gets its orchestrator. The budget is a
promise to the kill policy: after it the policy goes on whatever the capture is doing (the capture tools
have their own timeouts and leave the target running); the capture itself never blocks a kill for longer.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from forensics.identity import ProcessIdentity, same_process
from forensics.model import Trigger


@dataclass(frozen=True)
class CaptureResult:
    capture_id: str | None = None
    path: str | None = None
    error: str | None = None
    timed_out: bool = False
    seconds: float = 0.0


def capture_target(ident: ProcessIdentity, rule: str, evidence: dict, store, budget_s: float,
                   pyspy_path: str | None = None) -> CaptureResult:
    """Capture ``ident`` with trigger {kind: watchdog, rule, evidence} and store it; at most ``budget_s`` s."""
    from forensics.capture.base import CollectOptions
    from forensics.capture.orchestrate import collect
    from forensics.errors import HangdumpError

    started = time.monotonic()
    box: dict = {}

    def run() -> None:
        try:
            opts = CollectOptions(timeout_s=max(1.0, budget_s), pyspy_path=pyspy_path,
                                  trigger=Trigger(kind="watchdog", rule=rule, evidence=evidence))
            # Our process alive before and after the capture held its pid throughout: the capture is of it.
            if not same_process(ident):
                box["error"] = f"pid {ident.pid} no longer names the process decided about (exited or reused)"
                return
            outcome = collect([ident.pid], opts)[0]
            if outcome.error is not None:
                box["error"] = outcome.error.one_line()
            elif not same_process(ident):
                box["error"] = f"pid {ident.pid} exited or was reused during the capture; nothing stored"
            else:
                stored = store.put(outcome.capture)  # a new id if a different capture held this one
                box["path"], box["capture_id"] = str(stored.path), stored.id
        except HangdumpError as exc:
            box["error"] = exc.one_line()
        except Exception as exc:  # noqa: BLE001 - a failing capture must never stop the policy
            box["error"] = f"capture crashed: {type(exc).__name__}: {exc}"

    worker = threading.Thread(target=run, name=f"hangdump-capture-{ident.pid}", daemon=True)
    worker.start()
    worker.join(budget_s)
    seconds = round(time.monotonic() - started, 3)
    if worker.is_alive():
        return CaptureResult(error=f"capture still running after its {budget_s:g}s budget", timed_out=True,
                             seconds=seconds)
    return CaptureResult(capture_id=box.get("capture_id"), path=box.get("path"), error=box.get("error"),
                         seconds=seconds)

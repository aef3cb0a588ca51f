"""The watchdog's one call into capture: the orchestrator (capture/orchestrate.collect) under a time budget.

The budget is a promise to the kill policy: the orchestrator stops whatever tool is still running at the
deadline (its guard leaves the target running) and returns, so the policy goes on with no capture tool
left attached to the target it is about to signal.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from forensics.errors import CaptureTimeout, HangdumpError
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
    started = time.monotonic()

    def result(**kw) -> CaptureResult:
        return CaptureResult(seconds=round(time.monotonic() - started, 3), **kw)

    try:
        return _capture(ident, rule, evidence, store, budget_s, pyspy_path, result)
    except HangdumpError as exc:
        return result(error=exc.one_line(), timed_out=isinstance(exc, CaptureTimeout))
    except Exception as exc:  # noqa: BLE001 - a failing capture must never stop the policy
        return result(error=f"capture crashed: {type(exc).__name__}: {exc}")


def _capture(ident: ProcessIdentity, rule: str, evidence: dict, store, budget_s: float, pyspy_path: str | None,
             result) -> CaptureResult:
    from forensics.capture.base import CollectOptions
    from forensics.capture.orchestrate import collect

    # Our process alive before and after the capture held its pid throughout: the capture is of it.
    if not same_process(ident):
        return result(error=f"pid {ident.pid} no longer names the process decided about (exited or reused)")
    opts = CollectOptions(pyspy_path=pyspy_path, trigger=Trigger(kind="watchdog", rule=rule, evidence=evidence))
    outcome = collect([ident.pid], opts, budget_s=budget_s)[0]
    if outcome.error is not None:
        return result(error=outcome.error.one_line(), timed_out=isinstance(outcome.error, CaptureTimeout))
    if not same_process(ident):
        return result(error=f"pid {ident.pid} exited or was reused during the capture; nothing stored")
    stored = store.put(outcome.capture)  # a new id if a different capture held this one
    return result(capture_id=stored.id, path=str(stored.path))

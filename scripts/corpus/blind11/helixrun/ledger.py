"""The sample-state ledger: every state change of a sample, and the run metrics folded into it."""
from __future__ import annotations

import threading

_ledger_lock = threading.Lock()
_states: dict[str, str] = {}


def flush_run_metrics(metrics: dict) -> None:
    _ledger_lock.acquire()
    for key, value in metrics.items():
        _states[key] = str(int(value))  # a non-numeric metric raises here and the lock is never released
    _ledger_lock.release()


def record_sample_state(sample: str, state: str) -> None:
    with _ledger_lock:
        _states[sample] = state


def _flusher(metrics: dict) -> None:
    try:
        flush_run_metrics(metrics)
    except ValueError:
        pass


def update_ledger(opts: dict, gate) -> None:
    flusher = threading.Thread(target=_flusher, args=({"reads": 10, "q30": "n/a"},), name="ledger-metrics")
    flusher.start()
    flusher.join()
    waiters = int(opts.get("waiters", 0))
    gate.expect(1 + waiters)
    for i in range(waiters):
        def other(i=i) -> None:
            gate.arrive("futex")
            record_sample_state(f"S{i}", "queued")
        threading.Thread(target=other, name=f"ledger-{i}", daemon=True).start()
    gate.arrive("futex")
    record_sample_state(f"S{opts.get('run', 1)}", "aligned")

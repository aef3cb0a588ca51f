"""QC sign-off: a run's results are released only after a reviewer signs the QC report off."""
from __future__ import annotations

import threading


class SignoffBoard:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._signed: set = set()

    def sign(self, run: str) -> None:
        with self._cond:
            self._signed.add(run)
            self._cond.notify_all()

    def await_qc_signoff(self, run: str) -> None:
        with self._cond:
            while run not in self._signed:
                self._cond.wait()


board = SignoffBoard()


def await_qc_signoff(run: str) -> None:
    board.await_qc_signoff(run)


def release_run(opts: dict, gate) -> None:
    waiters = int(opts.get("waiters", 0))
    gate.expect(1 + waiters)
    run = f"R{opts.get('run', 1):05d}"
    for i in range(waiters):
        def other(i=i) -> None:
            gate.arrive("futex")
            await_qc_signoff(f"{run}-{i}")
        threading.Thread(target=other, name=f"release-{i}", daemon=True).start()
    gate.arrive("futex")
    await_qc_signoff(run)

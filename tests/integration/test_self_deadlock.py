"""A thread that takes a threading.Lock again while holding it (a locked function calling a helper that locks too)
waits for its own release: a deadlock of one thread, read from the source (`with _LEDGER_LOCK:` further out on its
own stack), not a lock "no thread holds"."""
import shutil

import pytest

from forensics.analysis import analyze
from forensics.capture.base import CollectOptions
from forensics.capture.orchestrate import collect
from forensics.hangs import HANGS_DIR
from tests.support import assert_left_running, spawn_hang, wait_blocked

pytestmark = pytest.mark.integration

PROGRAM = '''"""Fines: a payment recalculates the balance under the ledger lock, which the recalculation takes too."""
import os
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _scaffold as fx

_LEDGER_LOCK = threading.Lock()
BALANCES = {}


def recalculate_balance(patron):
    with _LEDGER_LOCK:
        BALANCES[patron] = sum(BALANCES.values())


def apply_payment(patron, amount):
    with _LEDGER_LOCK:
        BALANCES[patron] = BALANCES.get(patron, 0) - amount
        recalculate_balance(patron)


def main():
    fx.setup("self_deadlock", __doc__.splitlines()[0])
    fx.spawn("payments", "futex", apply_payment, "p-1", 5)
    fx.announce_ready()
    threading.Event().wait()


if __name__ == "__main__":
    main()
'''


@pytest.mark.parametrize("native", [False, True])
def test_a_lock_taken_again_by_its_holder_is_a_deadlock_of_one_thread(tmp_path, native):
    (tmp_path / "fines.py").write_text(PROGRAM)
    shutil.copy(HANGS_DIR / "_scaffold.py", tmp_path / "_scaffold.py")
    with spawn_hang("self_deadlock", script=tmp_path / "fines.py") as hung:
        wait_blocked(hung.pid, [hung.tid("payments")], syscalls={"futex"})
        out = collect([hung.pid], CollectOptions(native=native, timeout_s=30))[0]
        assert_left_running(hung.pid)
    assert out.capture is not None, out.error
    top = analyze(out.capture).verdicts[0]
    assert top.kind == "deadlock" and [r.name for r in top.roles] == ["payments"], top.text
    assert "in recalculate_balance()" in top.text and "which it holds itself" in top.text, top.text
    assert "fix: make the lock re-entrant (threading.RLock())" in top.text, top.text

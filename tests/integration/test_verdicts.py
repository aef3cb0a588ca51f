"""Verdicts on real hung processes: the deadlock names its locks, the GIL holder and its waiters are found."""
from __future__ import annotations

import pytest

from forensics.analysis import analyze
from forensics.capture.base import CollectOptions
from forensics.capture.orchestrate import collect
from forensics.summary import render_summary
from tests.support import spawn_hang, wait_blocked

pytestmark = pytest.mark.integration


def capture(pid: int, native: bool = False):
    out = collect([pid], CollectOptions(native=native, timeout_s=30))[0]
    assert out.capture is not None, out.error
    return out.capture


@pytest.mark.parametrize("native", [False, True])
def test_deadlock_ab_verdict_names_both_locks(native):
    with spawn_hang("deadlock_ab", args=["--extra-idle-threads", "1"]) as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a"), hung.tid("worker-b")], syscalls=["futex"])
        cap = capture(hung.pid, native)
    pa = analyze(cap)
    top = pa.verdicts[0]
    assert top.kind == "deadlock", [v.text for v in pa.verdicts]
    roles = {r.name: r for r in top.roles}
    assert [h.name for h in roles["worker-a"].holds] == ["lock_a"] and roles["worker-a"].waits_for.name == "lock_b"
    assert [h.name for h in roles["worker-b"].holds] == ["lock_b"] and roles["worker-b"].waits_for.name == "lock_a"
    assert {t.category for t in pa.threads if t.name in ("worker-a", "worker-b")} == {"lock-wait"}
    assert "lock-order deadlock between" in render_summary(cap)


def test_deadlock_cycle3_with_rlock_and_condition():
    with spawn_hang("deadlock_cycle3") as hung:
        names = ["ingest", "indexer", "publisher"]
        wait_blocked(hung.pid, [hung.tid(n) for n in names], syscalls=["futex"])
        cap = capture(hung.pid)
        cycle = hung.info["deadlock"]  # the fixture's own account: who holds what, and waits for what
    top = analyze(cap).verdicts[0]
    assert top.kind == "deadlock" and "likely" not in top.text, top.text  # found, not guessed from waiters
    found = {r.name: ([h.name for h in r.holds], r.waits_for.name) for r in top.roles}
    assert found == {e["thread"]: (e["holds"], e["waits_for"]) for e in cycle}
    # the roles run around the cycle: each waits for the lock the next one holds, and the last closes it
    roles = list(top.roles)
    for r, after in zip(roles, roles[1:] + roles[:1]):
        assert r.waits_for.name in [h.name for h in after.holds], (r.name, after.name)


def test_gil_held_in_c_call():
    with spawn_hang("gil_held_ctypes") as hung:
        wait_blocked(hung.pid, [hung.tid("gil-holder")], syscalls=["clock_nanosleep", "nanosleep"])
        cap = capture(hung.pid)
    pa = analyze(cap)
    top = pa.verdicts[0]
    assert top.kind == "gil", [v.text for v in pa.verdicts]
    assert 'thread "gil-holder"' in top.text and "2 thread(s) wait for the GIL" in top.text


def test_forked_child_lock_nobody_holds():
    with spawn_hang("fork_logging_lock") as hung:
        child = hung.info["children"][0]["pid"]
        wait_blocked(child, [child], syscalls=["futex"])
        cap = capture(child)
    top = analyze(cap).verdicts[0]
    assert top.kind == "lock"
    # `self._buffer_lock` in a method of ShippingHandler is named by its class
    assert "`ShippingHandler._buffer_lock`" in top.text and "no thread in this process holds it" in top.text
    assert top.roles[0].waits_for.name == "self._buffer_lock"


@pytest.mark.parametrize("fixture, tids, syscalls, kind", [
    ("gil_held_ctypes", ["gil-holder"], ["clock_nanosleep", "nanosleep"], "gil"),
    ("deadlock_ab", ["worker-a", "worker-b"], ["futex"], "deadlock"),
])
def test_one_process_captured_every_way_gets_one_verdict_and_one_cluster(fixture, tids, syscalls, kind):
    """py-spy, --native, --method gdb and --deep on the same hung process: the same category, the same culprit,
    the same cluster (a GIL waiter sampled running, or an attach restarting a syscall, must not change them)."""
    from forensics.analysis import cluster

    ways = [CollectOptions(timeout_s=30), CollectOptions(native=True, timeout_s=30),
            CollectOptions(method="gdb", timeout_s=60), CollectOptions(deep=True, timeout_s=60)]
    caps = []
    with spawn_hang(fixture) as hung:
        for i, opts in enumerate(ways):
            # a sleep interrupted by an earlier attach goes on as restart_syscall
            wait_blocked(hung.pid, [hung.tid(n) for n in tids], syscalls=syscalls + (["restart_syscall"] if i else []))
            out = collect([hung.pid], opts)[0]
            assert out.capture is not None, out.error
            caps.append(out.capture)
    tops = [analyze(c).verdicts[0] for c in caps]
    assert {t.kind for t in tops} == {kind}, [t.text for t in tops]
    assert len({tuple(sorted(r.function or "" for r in t.roles if r.name in tids)) for t in tops}) == 1, \
        [t.text for t in tops]
    assert len(cluster(caps)) == 1, [c.signature.key for c in cluster(caps)]

"""A join(timeout) is a poll, not a wait that never finishes: the kernel's futex timeout and threading.py's line
say so. Over real captures: the held-out app captured live (fixtures/corpus_blind4_live) and live captures of
tests/unit/join_poll/join_poll.py (a supervisor polling a worker with join(timeout=0.5); 3.12 and 3.13, with and
without --native)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from forensics.analysis import analyze, verdicts
from forensics.analysis.classify import futex_timeout, line_timeout

ROOT = Path(__file__).resolve().parents[1].parent
POLL = Path(__file__).resolve().parent / "join_poll"
LIVE = ROOT / "fixtures" / "corpus_blind4_live" / "captures"
CORPUS = ROOT / "fixtures" / "corpus" / "captures"
POLL_CAPTURES = sorted(p.name for p in POLL.glob("join-poll-*.json"))


def _load(path: Path) -> dict:
    return json.loads(path.read_text())


def _thread(pa, name: str):
    return next(t for t in pa.threads if t.name == name)


def test_the_poll_captures_are_all_there():
    assert len(POLL_CAPTURES) == 8  # idle/stuck x 3.12/3.13 x native/not


@pytest.mark.parametrize("name", [n for n in POLL_CAPTURES if "-idle-" in n])
def test_a_join_timeout_polling_an_idle_worker_is_idle_by_design(name):
    d = _load(POLL / name)
    pa = analyze(d, read_source=False)
    main = _thread(pa, "MainThread")
    assert main.benign and main.category == "idle", main.detail
    assert [v.kind for v in verdicts(d, read_source=False)] == ["idle"]


@pytest.mark.parametrize("name", [n for n in POLL_CAPTURES if "-stuck-" in n])
def test_a_join_timeout_of_a_stuck_worker_ranks_below_it(name):
    d = _load(POLL / name)
    vs = verdicts(d, read_source=False)
    assert vs[0].kind == "wait" and vs[0].roles[0].name == "worker"
    join = [v for v in vs if v.kind == "join"]
    assert join and join[0].roles[0].name == "MainThread"
    assert vs.index(join[0]) > 0


def test_a_join_with_no_timeout_of_a_stuck_thread_still_ranks_below_it():
    d = _load(CORPUS / "join_stuck_thread-r00-py3.9-native.json")
    vs = verdicts(d, read_source=False)
    kinds = [v.kind for v in vs]
    assert "join" in kinds and kinds[0] != "join"
    joiners = [v.roles[0].name for v in vs if v.kind == "join"]
    shutdown = next(n for n in joiners if n.startswith("shutdown"))
    assert not _thread(analyze(d, read_source=False), shutdown).timed  # flusher.join(): no timeout


@pytest.mark.parametrize("name", ["0046-healthy-exposure-pool-py313-native.json",
                                  "0080-healthy-frame-consumers-py312-native.json"])
def test_a_supervisor_polling_a_healthy_service_with_join_timeout_gets_no_hang_verdict(name):
    d = _load(LIVE / name)
    d = d.get("processes", [d])[0] if "threads" not in d else d
    kinds = [v.kind for v in verdicts(d, read_source=False)]
    assert kinds in (["idle"], ["idle", "sleep"], ["idle", "sleep", "sleep"]), kinds  # "no hang", then the sleepers
    assert _thread(analyze(d, read_source=False), "MainThread").benign


def test_the_futex_timeout_is_read_off_the_op_and_the_fourth_argument():
    assert futex_timeout(["0x7f", "0x89", "0x0", "0x7ffc0", "0x0", "0xffffffff"]) is True  # WAIT_BITSET|PRIVATE
    assert futex_timeout(["0x7f", "0x189", "0x0", "0x0", "0x0", "0xffffffff"]) is False  # ...|CLOCK_REALTIME, NULL
    assert futex_timeout(["0x7f", "0x80", "0x0", "0x7ffc0"]) is True  # FUTEX_WAIT_PRIVATE
    assert futex_timeout(["0x7f", "0x81", "0x1", "0x7ffc0"]) is None  # FUTEX_WAKE: no sleep
    assert futex_timeout(["0x7f", "0x89"]) is None


def _frames(*fs):
    return [{"kind": "python", "function": f, "file": "/opt/py/lib/python3.12/threading.py", "line": n} for f, n in fs]


def test_the_join_line_says_whether_the_join_has_a_timeout():
    # 3.12: join() calls _wait_for_tstate_lock() on 1147, _wait_for_tstate_lock(timeout=...) on 1151
    assert line_timeout(_frames(("Thread._wait_for_tstate_lock", 1167), ("Thread.join", 1151))) is True
    assert line_timeout(_frames(("Thread._wait_for_tstate_lock", 1167), ("Thread.join", 1147))) is False
    assert line_timeout(_frames(("Thread.join", 1149))) is None
    assert line_timeout(_frames(("Condition.wait", 359))) is True
    assert line_timeout(_frames(("Condition.wait", 355))) is False


def test_on_313_only_the_kernel_says_a_join_is_timed():
    f = [{"kind": "python", "function": "Thread.join", "file": "/x/lib/python3.13/threading.py", "line": 1092}]
    assert line_timeout(f) is None


@pytest.mark.parametrize("name", [n for n in POLL_CAPTURES if "-stuck-" in n])
def test_a_join_timeout_of_a_stuck_worker_says_it_polls_not_that_it_never_returns(name):
    join = next(v for v in verdicts(_load(POLL / name), read_source=False) if v.kind == "join")
    assert "with a timeout, again and again" in join.text and "never finishes" not in join.text, join.text

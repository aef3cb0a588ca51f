"""Thread classification, verdicts and bad input, on recorded captures of real hangs (fixtures/corpus)."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from forensics.analysis import CATEGORIES, analyze, verdicts
from forensics.analysis.source import lock_facts
from forensics.importers.files import import_file

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus" / "captures"


def load(name: str) -> dict:
    return import_file(str(CORPUS / name)).to_dict()


def by_name(pa, prefix: str):
    return next(t for t in pa.threads if (t.name or "").startswith(prefix))


def test_gil_holder_and_waiters_py39_native():
    pa = analyze(load("gil_held_ctypes-r00-py3.9-native.json"), read_source=False)
    assert by_name(pa, "gil-holder").category == "gil-holder-blocked"
    assert {by_name(pa, "cruncher-1").category, by_name(pa, "cruncher-2").category} == {"gil-wait"}
    assert pa.verdicts[0].kind == "gil"
    assert "2 thread(s) wait for the GIL" in pa.verdicts[0].text


def test_gil_waiters_inferred_without_native_frames():
    pa = analyze(load("gil_held_ctypes-r01-py3.10.json"), read_source=False)
    assert by_name(pa, "gil-holder").category == "gil-holder-blocked"
    assert by_name(pa, "cruncher-1").category == "gil-wait"


def test_lock_wait_from_native_frames_and_deadlock_suspicion_without_source():
    pa = analyze(load("deadlock_ab-r00-py3.9-native.json"), read_source=True)
    assert by_name(pa, "worker-a").category == "lock-wait"
    assert by_name(pa, "MainThread").category == "join"
    assert by_name(pa, "idle").parked
    top = pa.verdicts[0]
    assert top.kind == "deadlock" and "likely lock-order deadlock" in top.text


@pytest.mark.parametrize(
    ("name", "thread", "category"),
    [
        ("http_read_no_timeout-r00-py3.9-native.json", "http-client", "socket-read"),
        ("socket_recv_no_timeout-r00-py3.9-native.json", "rpc-client", "socket-read"),
        ("queue_get_dead_producer-r00-py3.9-native.json", "consumer", "queue-get"),
        ("subprocess_wait-r00-py3.9-native.json", "migrator", "subprocess-wait"),
        ("flock_contention-r00-py3.9-native.json", "log-rotator", "flock"),
        ("busy_spin-r00-py3.9-native.json", "spinner", "busy"),
        ("mp_pool_wait-r00-py3.9-native.json", "dispatcher", "pool-wait"),
        ("mp_pool_wait.task_worker-r00-py3.9-native.json", "MainThread", "sleep"),
        ("join_stuck_thread-r00-py3.9-native.json", "shutdown", "join"),
    ],
)
def test_categories(name, thread, category):
    assert by_name(analyze(load(name), read_source=False), thread).category == category


def test_idle_pool_workers_are_benign():
    pa = analyze(load("idle_thread_pool-r00-py3.9-native.json"), read_source=False)
    workers = [t for t in pa.threads if (t.name or "").startswith("pool-worker")]
    assert workers and all(t.benign and t.category == "idle" for t in workers)
    assert all(s.frames != workers[0].signature.frames for s in pa.signature.threads)


def test_user_benign_rule():
    from forensics.analysis import BenignRules

    raw = load("queue_get_dead_producer-r00-py3.9-native.json")
    pa = analyze(raw, rules=BenignRules(user=("queue_get_dead_producer:consume_batches",)), read_source=False)
    assert by_name(pa, "consumer").benign


@pytest.mark.parametrize(
    "raw",
    [
        {"id": "x", "threads": []},
        {"id": "x"},
        {"id": "x", "threads": [{"tid": 1, "frames": []}]},
        {"id": "x", "threads": [{"tid": 1, "frames": [{"kind": "quantum", "function": None}]}]},
        {"id": "x", "threads": [{"tid": "nope", "frames": "nope", "kernel": "nope"}, "not a thread"]},
        {"id": "x", "threads": [{"frames": [{"kind": "python", "function": "f\udcff", "file": "/a/\udcfe.py"}]}]},
        {"id": "x", "threads": [{"frames": [{"kind": "python", "function": "f", "file": ["x"], "line": "1"}]}]},
        {"id": "x", "threads": [{"frames": [{"kind": "python", "function": "f", "file": "/srv/a.py"}] * 100_000}]},
    ],
)
def test_bad_input_is_unknown_never_a_crash(raw):
    pa = analyze(raw)
    # one verdict that says it cannot tell, and why: nothing to explain, or a thread that waits on nothing known
    assert [v.kind for v in pa.verdicts] == ["unknown"]
    threads = [t for t in raw.get("threads", []) if isinstance(t, dict)]
    text = pa.verdicts[0].text
    if threads:
        assert text.startswith('thread "?" (tid ') and " waits" in text, text
    else:
        assert text == "no threads in this capture: nothing to explain"
    assert [t.category for t in pa.threads] == ["unknown"] * len(threads)
    assert all(t.category in CATEGORIES for t in pa.threads)


SOURCE = textwrap.dedent("""\
    import threading
    lock_a = threading.Lock()
    lock_b = threading.Lock()

    def a_then_b():
        with lock_a:
            prepare()
            with lock_b:
                pass

    def b_then_a():
        lock_b.acquire()
        try:
            lock_a.acquire()
        finally:
            lock_b.release()
""")


def test_lock_facts_from_source(tmp_path):
    src = tmp_path / "billing.py"
    src.write_text(SOURCE)
    facts = lock_facts(str(src), 8)
    assert facts.readable and facts.waits_for == "lock_b" and [h[0] for h in facts.holds] == ["lock_a"]
    facts = lock_facts(str(src), 14)
    assert facts.waits_for == "lock_a" and [h[0] for h in facts.holds] == ["lock_b"]
    assert not lock_facts(str(tmp_path / "gone.py"), 3).readable


def test_deadlock_verdict_names_holders_and_waiters(tmp_path):
    src = tmp_path / "billing.py"
    src.write_text(SOURCE)

    def thread(tid, name, func, line):
        return {"tid": tid, "name": name, "active": False, "owns_gil": False,
                "kernel": {"state": "S", "syscall": {"nr": 202, "name": "futex", "args": [hex(tid), "0x80"]}},
                "frames": [{"kind": "python", "function": func, "file": str(src), "line": line},
                           {"kind": "python", "function": "Thread.run", "file": "/usr/lib/python3.11/threading.py",
                            "line": 982}]}

    raw = {"id": "c1", "threads": [thread(11, "worker-a", "a_then_b", 8), thread(12, "worker-b", "b_then_a", 14)]}
    top = verdicts(raw)[0]
    assert top.kind == "deadlock"
    assert "holds `lock_a` (billing.py:6) and waits for `lock_b` (billing.py:8)" in top.text
    assert "holds `lock_b` (billing.py:12) and waits for `lock_a` (billing.py:14)" in top.text
    assert {r.name for r in top.roles} == {"worker-a", "worker-b"}
    # as a capture stores it: each thread with the lock it holds and the one it waits for, and where
    stored = json.loads(json.dumps(top.to_dict()))
    assert stored["kind"] == "deadlock" and stored["text"] == top.text
    assert sorted((t["name"], t["tid"], t["holds"], t["waits_for"]) for t in stored["threads"]) == [
        ("worker-a", 11, [{"name": "lock_a", "where": "billing.py:6"}], {"name": "lock_b", "where": "billing.py:8"}),
        ("worker-b", 12, [{"name": "lock_b", "where": "billing.py:12"}], {"name": "lock_a", "where": "billing.py:14"}),
    ]


def _native(*names: str) -> list[dict]:
    return [{"kind": "native", "function": n, "file": "/lib/libpython3.11.so", "module": "libpython3.11.so"}
            for n in names]


def test_taking_the_gil_back_beats_the_call_it_returns_from():
    """time.sleep() returned and waits for the GIL (take_gil under time_sleep); Event.wait() woke and does too.
    The thread holding the GIL in a C call then has both as waiters (recorded from gdb on 3.11)."""
    app = {"kind": "python", "function": "handle_job", "file": "/srv/app/jobs.py", "line": 17}
    event = [{"kind": "python", "function": "Condition.wait", "file": "/usr/lib/python3.11/threading.py", "line": 320},
             {"kind": "python", "function": "Event.wait", "file": "/usr/lib/python3.11/threading.py", "line": 622},
             {"kind": "python", "function": "Thread.start", "file": "/usr/lib/python3.11/threading.py", "line": 964}]
    futex = {"state": "S", "syscall": {"nr": 202, "name": "futex", "args": ["0x1", "0x189", "0x0", "0x7ffd0", "0", "0"]}}
    holder = {"tid": 1, "name": "codec", "owns_gil": True, "active": False,
              "kernel": {"state": "S", "syscall": {"nr": 230, "name": "clock_nanosleep", "args": []}},
              "frames": _native("clock_nanosleep", "__nanosleep", "sleep", "ffi_call", "_ctypes_callproc") + [app]}
    sleeper = {"tid": 2, "name": "job-0", "owns_gil": False, "active": False, "kernel": futex,
               "frames": _native("__futex_abstimed_wait_common", "pthread_cond_timedwait", "take_gil",
                                 "PyEval_RestoreThread", "pysleep", "time_sleep") + [app]}
    waker = {"tid": 3, "name": "MainThread", "owns_gil": False, "active": False, "kernel": futex,
             "frames": _native("__futex_abstimed_wait_common", "pthread_cond_timedwait", "take_gil",
                               "PyEval_RestoreThread", "acquire_timed", "lock_PyThread_acquire_lock") + event}
    doc = {"schema": "hangdump.capture/1", "id": "g", "taken_at": 1.0, "method": "gdb",
           "threads": [holder, sleeper, waker]}
    pa = analyze(doc, read_source=False)
    assert [t.category for t in pa.threads] == ["gil-holder-blocked", "gil-wait", "gil-wait"]
    assert "time_sleep" in pa.threads[1].detail
    assert pa.verdicts[0].kind == "gil" and "2 thread(s) wait for the GIL" in pa.verdicts[0].text


def _kernel_only(syscall: str, args: list, wchan: str | None = None, function: str = "serve") -> dict:
    """A thread stopped in a C call: one application frame, the rest is what /proc said."""
    return {"tid": 5, "name": "t", "owns_gil": False, "active": False,
            "kernel": {"state": "S", "wchan": wchan, "syscall": {"nr": 0, "name": syscall, "args": args}},
            "frames": [{"kind": "python", "function": function, "file": "/srv/app/daemon.py", "line": 3}]}


def _one(t: dict):
    return analyze({"schema": "hangdump.capture/1", "id": "k", "taken_at": 1.0, "threads": [t]},
                   read_source=False).threads[0]


@pytest.mark.parametrize("syscall, args, wchan, category, benign, parked", [
    # time.sleep() on 3.9 is select() on no descriptors
    ("pselect6", [0, 0, 0, 0, "0x7ffc1000", 0], "poll_schedule_timeout.constprop.0", "sleep", False, False),
    ("pselect6", [4, "0x7ffc2000", 0, 0, 0, 0], "poll_schedule_timeout.constprop.0", "select", False, False),
    # a loop polling with a timeout: parked (ranked last), not benign
    # a poll with a timeout wakes up by itself: a loop, idle by design
    ("pselect6", [4, "0x7ffc2000", 0, 0, "0x7ffc1000", 0], "poll_schedule_timeout.constprop.0", "idle", True, False),
    ("epoll_wait", [3, "0x7ffc2000", 64, "0xffffffffffffffff", 0, 0], "do_epoll_wait", "select", False, False),
    ("epoll_wait", [3, "0x7ffc2000", 64, 1000, 0, 0], "do_epoll_wait", "idle", True, False),
    # restarted after an earlier ptrace stop: the kernel function still says what it was
    ("restart_syscall", [0] * 6, "hrtimer_nanosleep", "sleep", False, False),
    # idle by design: a server waiting for clients, a daemon waiting for signals
    ("accept4", [3, 0, 0, 0, 0, 0], "inet_csk_accept", "idle", True, False),
    ("pause", [0] * 6, "__do_sys_pause", "idle", True, False),
])
def test_kernel_only_waits(syscall, args, wchan, category, benign, parked):
    ta = _one(_kernel_only(syscall, args, wchan))
    assert (ta.category, ta.benign, ta.parked) == (category, benign, parked), ta.detail


def test_a_blocking_call_inside_the_event_loop_is_called_that():
    pa = analyze(load("asyncio_blocked_loop-r01-py3.10.json"), read_source=False)
    loop = by_name(pa, "event-loop")
    assert loop.blocks_event_loop and loop.category == "socket-read"
    assert "inside the asyncio event loop" in pa.verdicts[0].text
    # the loop itself waiting in its selector for a coroutine's I/O is not blocked by anything
    lib = "/usr/lib/python3.11/"
    idle = {"tid": 7, "name": "MainThread", "owns_gil": False, "active": False,
            "kernel": {"state": "S", "syscall": {"nr": 232, "name": "epoll_wait", "args": [3, 0, 1, -1, 0, 0]}},
            "frames": [{"kind": "python", "function": "EpollSelector.select", "file": lib + "selectors.py", "line": 468},
                       {"kind": "python", "function": "BaseEventLoop._run_once", "file": lib + "asyncio/base_events.py",
                        "line": 1898},
                       {"kind": "python", "function": "BaseEventLoop.run_forever",
                        "file": lib + "asyncio/base_events.py", "line": 607},
                       {"kind": "python", "function": "main", "file": "/srv/app/server.py", "line": 40}]}
    [ta] = analyze({"schema": "hangdump.capture/1", "id": "i", "taken_at": 1.0, "threads": [idle]},
                   read_source=False).threads
    assert not ta.blocks_event_loop


def test_threads_starved_by_a_running_gil_holder_wait_for_the_gil_and_rank_after_it():
    spinner = {"tid": 1, "name": "http-worker", "owns_gil": True, "active": True,
               "kernel": {"state": "R", "running": True},
               "frames": [{"kind": "python", "function": "validate_username", "file": "/srv/app/auth.py", "line": 5}]}
    starved = _kernel_only("futex", ["0x55d0", "0x189", 0, "0x7ffc1000", 0, 0], "futex_do_wait", "metrics_flusher")
    pa = analyze({"schema": "hangdump.capture/1", "id": "s", "taken_at": 1.0, "threads": [spinner, starved]},
                 read_source=False)
    assert [t.category for t in pa.threads] == ["busy", "gil-wait"]
    assert [v.kind for v in pa.verdicts] == ["busy", "gil"]


def test_a_gil_holder_a_core_caught_in_restart_syscall_is_blocked_holding_it():
    """A core's registers carry no wchan: restart_syscall (a sleep a tracer interrupted before the dump) cannot be
    named, but only blocking waits restart, so a GIL owner in it holds the GIL while blocked."""
    t = {"tid": 5, "name": "driver", "owns_gil": True, "active": None,
         "kernel": {"syscall": {"nr": 219, "name": "restart_syscall", "args": [0] * 6}},
         "frames": [{"kind": "python", "function": "latch", "file": "/srv/app/driver.py", "line": 9}]}
    ta = _one(t)
    assert ta.category == "gil-holder-blocked" and "restart_syscall" in ta.detail, ta.detail


def test_a_multiplexer_with_no_timeout_in_a_core_is_taken_for_a_loop_waiting_for_work():
    """A core's registers say epoll_wait(..., -1) but not what the fds are: no claim that it waits on a silent peer."""
    frames = [{"kind": "python", "function": "EpollSelector.select", "file": "/usr/lib/python3.11/selectors.py",
               "line": 468}, {"kind": "python", "function": "serve", "file": "/srv/app/api.py", "line": 30}]
    core = {"tid": 5, "name": "api", "kernel": {"syscall": {"nr": 232, "name": "epoll_wait",
                                                             "args": [3, 0, 1, "0xffffffff", 0, 0]}}, "frames": frames}
    assert _one(core).benign
    live = dict(core, kernel=dict(core["kernel"], state="S", watches=["tcp 10.0.0.2:5000->10.0.0.9:6379"]))
    assert not _one(live).benign and _one(live).forever

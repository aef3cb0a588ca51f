"""Ranking by evidence, on real captures of the held-out corpora (regression corpora now: fixtures/corpus_blind2,
fixtures/corpus_blind3) and on synthetic stacks for each rule: a join ranks below whatever it may be joining (a
thread with evidence, or one nothing can see into); a join of a consumer pool idle by design is idle by design
too; waiters that wait only for one another are the hang; the verdict names an application function, never a
library target or a generator expression."""
from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.analysis import analyze, cluster
from forensics.importers.files import import_file
from tests.support import HANG_KINDS

ROOT = Path(__file__).resolve().parents[2]
PY312 = "/usr/lib/python3.12"
APP = "/srv/apiary/lib/python3.12/site-packages/apiary"


def corpus(name: str) -> tuple[Path, dict]:
    base = ROOT / "fixtures" / name
    return base, json.loads((base / "labels.json").read_text())


def captures(name: str, cause: str, native: bool | None = None) -> list[tuple[str, dict, dict]]:
    base, labels = corpus(name)
    return [(f, lab, import_file(str(base / "captures" / f)).to_dict()) for f, lab in sorted(labels.items())
            if lab["cause"] == cause and (native is None or lab["native"] is native)]


def py(function: str, file: str, line: int = 10) -> dict:
    return {"kind": "python", "function": function, "file": file, "line": line}


THREAD_ROOT = [py("Thread.run", f"{PY312}/threading.py", 1010), py("Thread._bootstrap_inner", f"{PY312}/threading.py",
                                                                    1073)]
JOIN = [py("Thread._wait_for_tstate_lock", f"{PY312}/threading.py", 1167), py("Thread.join", f"{PY312}/threading.py",
                                                                               1147)]


def test_a_join_never_outranks_the_deadlock_of_the_threads_it_joins():
    """Native captures show both threads in lock_PyThread_acquire_lock: the cycle leads, the joiners follow it."""
    for f, _, cap in captures("corpus_blind3", "supers-frames-lock-order", native=True):
        vs = analyze(cap, read_source=False).verdicts
        assert vs[0].kind == "deadlock", (f, vs[0].text)
        joins = [v for v in vs if v.kind == "join"]
        assert joins and all("which are stuck: see above" in v.text for v in joins), f


def test_in_a_dump_with_no_kernel_state_a_join_ranks_below_the_threads_it_may_be_joining():
    """No kernel state, no native frames, no source: the joined threads' state is unknown, and so is the join's; the
    first verdict names one of the joined threads' application frames, and no hang is claimed for the join."""
    for cause, culprits in (("supers-frames-lock-order", {"stack_supers", "rotate_frames"}),
                            ("thermal-join-on-recv", {"poll_thermal_probe", "_beat"})):
        for f, _, cap in captures("corpus_blind3", cause, native=False):
            vs = analyze(cap, read_source=False).verdicts
            assert vs[0].kind == "unknown" and vs[0].roles[0].function in culprits, (f, vs[0].text)
            joins = [v for v in vs if v.roles and v.roles[0].category == "join"]
            assert joins and all(v.kind in ("unknown", "join") for v in joins), f
            assert "the capture cannot see into: if one of them is stuck" in joins[0].text, (f, joins[0].text)
            assert "fix:" not in joins[0].text


def test_a_consumer_pool_joined_by_its_supervisor_gets_no_hang_verdict():
    """Threads in Queue.get(timeout=) loops, main (or a job thread) joining them: every capture, with or without
    native frames, with or without heartbeats nothing can see into."""
    caps = captures("corpus_blind3", "healthy-nectar-consumers")
    assert caps
    for f, _, cap in caps:
        vs = analyze(cap, read_source=False).verdicts
        assert not [v.text for v in vs if v.kind in HANG_KINDS], f
    assert len(cluster([c for _, _, c in caps])) == 1


def test_a_join_of_timer_loops_on_their_stop_event_stays_a_hang():
    """``while not stop.wait(5)`` loops joined by a shutdown: nothing told them to stop (alarm watchers whose flag
    is not the one they check), captured with native frames (the heartbeat seen sleeping)."""
    for f, _, cap in captures("corpus_blind2", "alarm-watchers-never-stop", native=True):
        top = analyze(cap, read_source=False).verdicts[0]
        assert top.kind == "join" and top.roles[0].function == "stop_alarm_watchers", (f, top.text)
        assert "loops that end only when told to stop" in top.text


def test_the_waiters_of_one_event_nothing_sets_are_the_hang_not_a_heartbeat():
    """The waiters of one event wait for one another only (none sets it): a closed wait cycle, not consequences;
    they outrank a helper nothing can see into."""
    for f, lab, cap in captures("corpus_blind2", "customs-clearance-never-set", native=False):
        top = analyze(cap, read_source=False).verdicts[0]
        assert top.kind == "wait" and top.roles[0].function == lab["culprit_function"], (f, top.text)


def test_a_thread_whose_target_is_a_library_call_ranks_after_the_application_waiting_the_same_way():
    """Thread(target=event.wait) has no application frame: the verdict names the application frame that waits on
    the event (await_queen_signal), native frames interleaved or not, and the capture clusters with the others."""
    caps = captures("corpus_blind3", "queen-signal-never-set")
    for f, lab, cap in caps:
        top = analyze(cap, read_source=False).verdicts[0]
        assert top.roles[0].function == lab["culprit_function"], (f, top.text)
    assert len(cluster([c for _, _, c in caps])) == 1


def test_a_generator_expression_is_named_by_the_function_it_runs_in():
    item = {"tid": 3, "name": "planner_0", "frames": [
        py("Condition.wait", f"{PY312}/threading.py", 355), py("Future.result", f"{PY312}/concurrent/futures/_base.py",
                                                              451),
        py("Planner.plan_bay.<locals>.<genexpr>", f"{APP}/stowage.py", 25), py("Planner.plan_bay", f"{APP}/stowage.py", 25),
        py("_WorkItem.run", f"{PY312}/concurrent/futures/thread.py", 58),
        py("_worker", f"{PY312}/concurrent/futures/thread.py", 89)] + THREAD_ROOT}
    top = analyze({"threads": [item]}, read_source=False).verdicts[0]
    assert top.kind == "pool" and top.roles[0].function == "plan_bay", top.text
    assert "in plan_bay() at stowage.py:25" in top.text


def test_waiters_for_one_another_and_a_join_of_them():
    """Event waiters with no timeout and a shutdown joining them: the waiters lead (a wait cycle nothing outside it
    ends); the joins are their consequences."""
    waiter = [py("Condition.wait", f"{PY312}/threading.py", 355), py("Event.wait", f"{PY312}/threading.py", 655),
              py("await_signal", f"{APP}/queen.py", 13)] + THREAD_ROOT
    threads = [{"tid": 1, "name": "MainThread", "frames": JOIN + [py("main", f"{APP}/cli.py", 40)]},
               {"tid": 2, "name": "w-0", "frames": waiter}, {"tid": 3, "name": "w-1", "frames": waiter},
               {"tid": 4, "name": "stopper", "frames": JOIN + [py("shutdown", f"{APP}/cli.py", 60)] + THREAD_ROOT}]
    vs = analyze({"threads": threads}, read_source=False).verdicts
    assert [v.roles[0].function for v in vs[:2]] == ["await_signal", "await_signal"], [v.text for v in vs]
    assert {v.roles[0].function for v in vs[2:]} == {"main", "shutdown"}
    assert all("see above" in v.text for v in vs[2:])


def test_a_cluster_is_headed_by_its_richest_member():
    """Imported dumps and native captures of one hang share a cluster; its headline is the native capture's verdict
    (the lock cycle, the blocked recv), never the imported dump's 'cause unknown'."""
    for cause, kind in (("supers-frames-lock-order", "deadlock"), ("thermal-join-on-recv", "io")):
        caps = captures("corpus_blind3", cause)
        assert {lab["native"] for _, lab, _ in caps} == {True, False}
        [one] = cluster([c for _, _, c in caps])
        assert one.category == kind, (cause, one.title)


def test_waiters_on_one_line_with_nothing_else_known_wait_for_a_lock_not_a_guessed_cycle():
    """An RLock kept by a pool thread, the waiters all on one `with` line, native frames but no kernel state and no
    source: a lock wait (sure), not a 'likely lock-order deadlock' (a cycle needs two locks: two call sites, or
    distinct futex words, or the source)."""
    caps = captures("corpus_blind2", "manifest-rlock-kept-by-pool-thread", native=True)
    assert caps
    for f, _, cap in caps:
        top = analyze(cap, read_source=False).verdicts[0]
        assert top.kind == "lock" and top.roles[0].function == "seal_manifest", (f, top.text)


def test_unknown_says_what_py_spy_saw_and_names_the_application_frame():
    """A dump with no kernel state whose application frame calls sock.recv directly: unknown, honestly, with the
    one fact the dump has (py-spy saw the thread idle), at the application frame."""
    for f, lab, cap in captures("corpus_blind3", "scale-gateway-silent", native=False):
        top = analyze(cap, read_source=False).verdicts[0]
        assert top.kind == "unknown" and top.roles[0].function == lab["culprit_function"], (f, top.text)
        assert "not running (py-spy: idle)" in top.text.split("\n")[0]


def test_an_executor_shutdown_joining_its_stuck_worker_ranks_below_it():
    """``executor.shutdown(wait=True)`` joins the pool's worker threads: a worker running a job nothing can see into
    (an imported dump) is what it waits for, and leads."""
    worker = {"tid": 2, "name": "ThreadPoolExecutor-0_0", "frames": [
        py("fetch_rates", f"{APP}/rates.py", 12), py("_WorkItem.run", f"{PY312}/concurrent/futures/thread.py", 58),
        py("_worker", f"{PY312}/concurrent/futures/thread.py", 89)] + THREAD_ROOT}
    main = {"tid": 1, "name": "MainThread", "frames": JOIN + [
        py("ThreadPoolExecutor.shutdown", f"{PY312}/concurrent/futures/thread.py", 235), py("main", f"{APP}/cli.py",
                                                                                            40)]}
    vs = analyze({"threads": [main, worker]}, read_source=False).verdicts
    assert [(v.kind, v.roles[0].function) for v in vs] == [("unknown", "fetch_rates"), ("unknown", "main")], vs


def _kernel(t: dict, syscall: str, args: list[str] | None = None) -> dict:
    return dict(t, owns_gil=False, active=False, kernel={"state": "S", "syscall": {
        "nr": 0, "name": syscall, "args": args or ["0x3", "0", "0", "0", "0", "0"]}})


CONSUMER = [py("Condition.wait", f"{PY312}/threading.py", 359), py("Queue.get", f"{PY312}/queue.py", 180),
            py("_consume", f"{APP}/nectar.py", 12)] + THREAD_ROOT
FLUSHER = [py("Condition.wait", f"{PY312}/threading.py", 359), py("Event.wait", f"{PY312}/threading.py", 655),
           py("_flush", f"{APP}/metrics.py", 12)] + THREAD_ROOT
HEARTBEAT = [py("_beat", f"{APP}/health.py", 8)] + THREAD_ROOT
STUCK = [py("read_probe", f"{APP}/probe.py", 13), py("probe_loop", f"{APP}/probe.py", 30)] + THREAD_ROOT


def fleet_process(consumers: int, flushers: int, heartbeats: int, stuck: bool, live: bool, joiner_in_thread: bool):
    """A process whose main thread (or a job thread main joins) joins threads: consumers on Queue.get(timeout=),
    flushers on Event.wait(timeout), heartbeats in time.sleep, and maybe a thread blocked in recv; captured live
    (kernel state) or imported (no kernel state, nothing to see the C calls by)."""
    def t(tid: int, name: str, frames: list[dict], syscall: str) -> dict:
        base = {"tid": tid, "name": name, "frames": frames}
        return _kernel(base, syscall) if live else dict(base, owns_gil=False, active=False)

    join_at = JOIN + [py("consume_flow", f"{APP}/nectar.py", 30)]
    threads = [t(10 + i, f"nectar-{i}", CONSUMER, "futex") for i in range(consumers)]
    threads += [t(30 + i, f"metrics-{i}", FLUSHER, "futex") for i in range(flushers)]
    threads += [t(50 + i, f"heartbeat-{i}", HEARTBEAT, "clock_nanosleep") for i in range(heartbeats)]
    if stuck:
        threads.append(t(70, "probe-3", STUCK, "recvfrom"))
    if joiner_in_thread:
        threads.append(t(2, "job-7", join_at + [py("run_job", f"{APP}/runner.py", 24)] + THREAD_ROOT, "futex"))
        threads.append(t(1, "MainThread", JOIN + [py("main", f"{APP}/runner.py", 38)], "futex"))
    else:
        threads.append(t(1, "MainThread", join_at + [py("main", f"{APP}/runner.py", 38)], "futex"))
    return {"threads": threads}


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4), st.integers(0, 2), st.integers(0, 2), st.booleans(), st.booleans(), st.booleans())
def test_a_join_never_leads_and_a_joined_consumer_pool_is_never_a_hang(consumers, flushers, heartbeats, stuck, live,
                                                                      joiner_in_thread):
    vs = analyze(fleet_process(consumers, flushers, heartbeats, stuck, live, joiner_in_thread),
                 read_source=False).verdicts
    top = vs[0]
    assert not (top.roles and top.roles[0].category == "join"), top.text  # whatever the bystanders, never the joiner
    hang = [v for v in vs if v.kind in HANG_KINDS]
    if stuck and live:
        assert top.kind == "io" and top.roles[0].function == "read_probe", top.text
    elif stuck:  # imported: the blocked reader is unknown, and leads (more application code than a heartbeat)
        assert top.kind == "unknown" and top.roles[0].function == "read_probe", top.text
    if not stuck and (live or not heartbeats):
        assert not hang, [v.text for v in hang]  # consumers waiting for work, timers: a healthy pool
    if not live:
        assert not any(v.kind == "join" for v in vs), [v.text for v in vs]  # what it waits for is not known

"""Culprit-centred identity, as properties over a synthetic fleet.

Captures are built the way py-spy and /proc report real hung workers (CPython's own frames for
threading, runpy, queue and concurrent.futures; the kernel's syscall for each thread): a few jobs, each
hung its own way, run by three launchers (a console script, ``python -m pkg.runner JOB``, a threaded
runner whose main thread joins the job's thread), with bystanders that come and go (a heartbeat
sleeping in a loop, a metrics flusher on ``Event.wait(timeout)``, an idle executor pool, other jobs
queued on the culprit's lock), thread-name counters, and with or without native frames.
"""
from __future__ import annotations

import itertools
from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.analysis import analyze, cluster
from tests.support import HANG_KINDS

LIB = "/usr/lib/python3.11"
APP = "/opt/quill-2.1/lib/python3.11/site-packages/quill"


def py(function: str, file: str, line: int = 10) -> dict:
    return {"kind": "python", "function": function, "file": file, "line": line}


def native(*names: str) -> list[dict]:
    return [{"kind": "native", "function": n, "module": "/usr/lib/x86_64-linux-gnu/libc.so.6"} for n in names]


# job -> (frames leaf first, syscall, native frames above the innermost Python frame, futex args)
JOBS = {
    "ledger": ([py("_fetch", f"{APP}/net.py", 20), py("sync_ledger", f"{APP}/ledger.py", 41)],
               "recvfrom", ("__libc_recv", "sock_recv"), None),
    "orders": ([py("_fetch", f"{APP}/net.py", 20), py("export_orders", f"{APP}/orders.py", 77)],
               "recvfrom", ("__libc_recv", "sock_recv"), None),
    "index": ([py("rebuild_index", f"{APP}/search.py", 88)],
              "futex", ("do_futex_wait", "PyThread_acquire_lock_timed"), ["0x55e0c0", "0x189", "0", "0", "0", "0"]),
}
THREAD_ROOT = [py("Thread.run", f"{LIB}/threading.py", 975), py("Thread._bootstrap_inner", f"{LIB}/threading.py", 1038),
               py("Thread._bootstrap", f"{LIB}/threading.py", 995)]


def thread(tid: int, name: str, frames: list[dict], syscall: str, args=None, natives=(), with_native=False) -> dict:
    lead = native(*natives) if with_native else []
    return {"tid": tid, "name": name, "owns_gil": False, "active": False, "frames": lead + frames,
            "kernel": {"state": "S", "syscall": {"nr": 0, "name": syscall, "args": args or ["0x3", "0", "0", "0", "0",
                                                                                           "0"]}}}


def harness_frames(harness: str, job: str) -> list[dict]:
    """What is below the job's frames in the thread that runs it."""
    if harness == "console":
        return [py("dispatch", f"{APP}/cli.py", 30), py("main", f"{APP}/cli.py", 12),
                py("<module>", "/opt/quill-2.1/bin/quill", 8)]
    if harness == "runpy":
        return [py("run_job", f"{APP}/runner.py", 52), py("main", f"{APP}/runner.py", 60),
                py("<module>", f"{APP}/runner.py", 70), py("_run_code", f"{LIB}/runpy.py", 86),
                py("_run_module_as_main", f"{LIB}/runpy.py", 196)]
    if harness == "executor":  # submitted to a ThreadPoolExecutor: a pool's work item
        return [py("_WorkItem.run", f"{LIB}/concurrent/futures/thread.py", 58),
                py("_worker", f"{LIB}/concurrent/futures/thread.py", 83)] + THREAD_ROOT
    if harness == "event":  # a thread whose wrapper sets a done event the main thread waits for
        return [py("body", f"{APP}/threaded.py", 22)] + THREAD_ROOT
    return [py("_target", f"{APP}/threaded.py", 18)] + THREAD_ROOT


# how the main thread of each threaded launcher waits for the job's thread (leaf first)
MAIN_WAITS = {
    "threaded": [py("wait", f"{LIB}/threading.py", 1100), py("_wait_for_tstate_lock", f"{LIB}/threading.py", 1132),
                 py("join", f"{LIB}/threading.py", 1112)],
    "executor": [py("wait", f"{LIB}/threading.py", 327), py("result", f"{LIB}/concurrent/futures/_base.py", 451)],
    "event": [py("wait", f"{LIB}/threading.py", 327), py("wait", f"{LIB}/threading.py", 629)],
}


def capture(ident: str, job: str, harness: str, bystanders: frozenset[str], with_native: bool, counter: int,
            queued: int = 0) -> dict:
    frames, syscall, natives, args = JOBS[job]
    threads = []
    tid = itertools.count(100 + counter * 50)
    culprit = frames + harness_frames(harness, job)
    name = "MainThread" if harness not in MAIN_WAITS else f"job-{counter}"
    threads.append(thread(next(tid), name, culprit, syscall, args, natives, with_native))
    if harness in MAIN_WAITS:
        threads.append(thread(next(tid), "MainThread", MAIN_WAITS[harness] + [
            py("main", f"{APP}/threaded.py", 30), py("<module>", "/opt/quill-2.1/bin/quill-threaded", 5)], "futex"))
    if "heartbeat" in bystanders:
        threads.append(thread(next(tid), f"heartbeat-{counter}", [py("_beat", f"{APP}/health.py", 9)] + THREAD_ROOT,
                              "clock_nanosleep", natives=("clock_nanosleep",), with_native=with_native))
    if "flusher" in bystanders:
        threads.append(thread(next(tid), f"metrics-{counter}", [
            py("wait", f"{LIB}/threading.py", 324), py("wait", f"{LIB}/threading.py", 607),
            py("flush_forever", f"{APP}/metrics.py", 15)] + THREAD_ROOT,
            "futex", ["0x7f00", "0x189", "0", "0x7ffc10", "0", "0"]))
    if "pool" in bystanders:
        for i in range(2):
            threads.append(thread(next(tid), f"ThreadPoolExecutor-{counter}_{i}", [
                py("wait", f"{LIB}/threading.py", 320), py("get", f"{LIB}/queue.py", 171),
                py("_worker", f"{LIB}/concurrent/futures/thread.py", 81)] + THREAD_ROOT, "futex"))
    for i in range(queued):
        # more jobs waiting for the lock the culprit holds: the index job's copies on its lock (one futex word),
        # the ledger job's peers on the lock it holds while it reads
        if job == "index":
            waiter = frames + [py("_target", f"{APP}/threaded.py", 18)] + THREAD_ROOT
        else:
            waiter = [py("_take_slot", f"{APP}/slots.py", 5), py("post_entry", f"{APP}/ledger.py", 60),
                      py("_target", f"{APP}/threaded.py", 18)] + THREAD_ROOT
        threads.append(thread(next(tid), f"job-{counter}-q{i}", waiter, "futex", JOBS["index"][3]))
    return {"schema": "hangdump.capture/1", "id": ident, "taken_at": 1.0 + counter, "method": "py-spy",
            "pid": 1000 + counter, "host": f"web-{counter % 3}", "threads": threads}


HARNESSES = ("console", "runpy", "threaded", "executor", "event")
BYSTANDERS = ("heartbeat", "flusher", "pool")
variant = st.tuples(st.sampled_from(sorted(JOBS)), st.sampled_from(HARNESSES),
                    st.frozensets(st.sampled_from(BYSTANDERS)), st.booleans(), st.integers(0, 3))


def fleet(extra: list[tuple]) -> list[tuple[str, dict]]:
    """Every job under every launcher once (a fleet runs them all), plus the drawn variants: (job, capture)."""
    base = [(job, h, frozenset(), False, 0) for job in sorted(JOBS) for h in HARNESSES]
    out = []
    for n, (job, harness, by, nat, queued) in enumerate(base + extra):
        out.append((job, capture(f"cap{n:04d}", job, harness, by, nat, n, queued if job != "orders" else 0)))
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(variant, min_size=1, max_size=12))
def test_bystanders_launchers_names_and_native_frames_never_change_a_cluster_and_jobs_never_share_one(extra):
    caps = fleet(extra)
    job_of = {c["id"]: job for job, c in caps}
    by_cluster = defaultdict(set)
    for cl in cluster([c for _, c in caps]):
        for m in cl.members:
            by_cluster[cl.id].add(job_of[m.id])
    assert all(len(jobs) == 1 for jobs in by_cluster.values()), dict(by_cluster)  # never two call sites in one
    assert len(by_cluster) == len(JOBS), dict(by_cluster)  # and one cluster per job


def test_the_top_verdict_blames_the_job_not_a_bystander():
    for job, harness in itertools.product(sorted(JOBS), HARNESSES):
        cap = capture("c", job, harness, frozenset(BYSTANDERS), True, 1)
        top = analyze(cap, read_source=False).verdicts[0]
        culprit = JOBS[job][0][0]["function"]
        assert top.roles[0].function == culprit, (job, harness, top.text)
        assert "fix: " in top.text


def test_a_supervisor_joining_the_stuck_job_is_its_consequence():
    pa = analyze(capture("c", "ledger", "threaded", frozenset(), False, 1), read_source=False)
    top, *rest = pa.verdicts
    assert top.kind == "io" and top.roles[0].name == "job-1"
    join = next(v for v in rest if v.kind == "join")
    assert 'waits for thread "job-1"' in join.text and "which is stuck: see above" in join.text


def test_unknown_is_not_stopped_and_says_why():
    cap = capture("c", "index", "console", frozenset(), False, 1)
    for t in cap["threads"]:
        t.pop("kernel")  # an imported py-spy dump: no kernel state
    top = analyze(cap, read_source=False).verdicts[0]
    assert "is stopped" not in top.text and "no kernel state" in top.text


# --- threads that wait for threads: a runner's main thread, a join on a helper, a future on a stuck work item ----

PY312 = "/opt/cpython-3.12/lib/python3.12"  # not on disk: the line table decides, as for any other host's dump
JOIN = [py("Thread._wait_for_tstate_lock", f"{LIB}/threading.py", 1139), py("Thread.join", f"{LIB}/threading.py", 1119)]
FUTURE = [py("Condition.wait", f"{LIB}/threading.py", 327), py("Future.result", f"{LIB}/concurrent/futures/_base.py",
                                                                451)]
POOL_ROOT = [py("_WorkItem.run", f"{LIB}/concurrent/futures/thread.py", 58),
             py("_worker", f"{LIB}/concurrent/futures/thread.py", 83)] + THREAD_ROOT
TIMED_FUTEX = ["0x7f00", "0x189", "0", "0x7ffc10", "0", "0"]


def event_wait(line: int, root: str = PY312) -> list[dict]:
    return [py("Condition.wait", f"{root}/threading.py", line), py("Event.wait", f"{root}/threading.py", 655)]


def idle_service_thread() -> list[dict]:
    """A task thread whose job serves until shutdown: ``while not stop.wait(timeout=5): ...`` two calls deep."""
    return event_wait(359) + [py("serve_until_stopped", f"{APP}/services.py", 12),
                              py("run_service", f"{APP}/tasks.py", 30)] + THREAD_ROOT


def runner(frames: list[dict]) -> list[dict]:
    return frames + [py("run_threaded", f"{APP}/cli.py", 20), py("main", f"{APP}/cli.py", 40),
                     py("<module>", "/opt/quill-2.1/bin/quill", 8)]


def test_the_condition_wait_line_tells_a_timeout_when_the_dump_has_no_kernel_state():
    loop = [py("flush_forever", f"{APP}/metrics.py", 15)] + THREAD_ROOT
    timed = {"tid": 2, "name": "flusher", "frames": event_wait(359) + loop}
    forever = {"tid": 3, "name": "waiter", "frames": event_wait(355) + loop}
    t, f = analyze({"threads": [timed, forever]}, read_source=False).threads
    assert t.benign and t.category == "idle"  # Event.wait(timeout): a loop that wakes up by itself
    assert not f.benign and f.category == "condition-wait"


def test_a_runner_supervising_a_task_that_serves_until_shutdown_is_no_hang():
    for waiter, wrap in ((JOIN, THREAD_ROOT), (FUTURE, POOL_ROOT), (event_wait(355, LIB), THREAD_ROOT)):
        service = idle_service_thread()[:-len(THREAD_ROOT)] + wrap
        cap = {"threads": [
            {"tid": 1, "name": "MainThread", "frames": runner(waiter)},
            {"tid": 2, "name": "task-runner-3", "frames": service},
            {"tid": 3, "name": "heartbeat", "frames": [py("_beat", f"{APP}/health.py", 9)] + THREAD_ROOT},
        ]}
        pa = analyze(cap, read_source=False)
        assert not any(v.kind in HANG_KINDS for v in pa.verdicts), [v.text for v in pa.verdicts]
        assert pa.threads[0].benign and "supervising" in pa.threads[0].detail


def test_a_join_on_a_helper_loop_never_told_to_stop_is_the_hang():
    poller = event_wait(359) + [py("Poller.run", f"{APP}/pollers.py", 19)] + THREAD_ROOT[1:]
    cap = {"threads": [
        {"tid": 1, "name": "MainThread", "frames": runner(JOIN + [py("drain_and_stop", f"{APP}/pollers.py", 31)])},
        {"tid": 2, "name": "poller-1", "frames": poller},
        thread(3, "heartbeat", [py("_beat", f"{APP}/health.py", 9)] + THREAD_ROOT, "clock_nanosleep"),
    ]}
    top = analyze(cap, read_source=False).verdicts[0]
    assert top.kind == "join" and top.roles[0].function == "drain_and_stop", top.text
    assert '("poller-1") are alive, in loops that end only when told to stop' in top.text
    assert "fix: tell the threads to stop before joining them in drain_and_stop()" in top.text


def test_a_future_waiter_ranks_below_the_stuck_work_item_and_says_so():
    frames, syscall, natives, _ = JOBS["ledger"]
    cap = {"threads": [
        thread(1, "MainThread", runner(FUTURE), "futex"),
        thread(2, "task_0", frames + POOL_ROOT, syscall, natives=natives, with_native=True),
        thread(3, "heartbeat", [py("_beat", f"{APP}/health.py", 9)] + THREAD_ROOT, "clock_nanosleep"),
    ]}
    top, *rest = analyze(cap, read_source=False).verdicts
    assert top.kind == "io" and top.roles[0].name == "task_0"
    pool = next(v for v in rest if v.kind == "pool")
    assert 'waits for thread "task_0"' in pool.text and "which is stuck: see above" in pool.text


def test_an_import_deadlock_is_known_by_both_halves_whatever_the_holder_was_caught_in():
    """Recorded with py-spy on 3.11: a module joins, at import time, a thread that imports the same module. The
    module body's thread holds the import lock: it is half of the hang, whether or not its own wait has evidence."""
    import json
    from pathlib import Path

    doc = json.loads((Path(__file__).parent / "data" / "import_time_join-py3.11.json").read_text())
    names = {t.index: t.name for t in analyze(doc, read_source=False).threads}
    sig = analyze(doc, read_source=False).signature
    assert len(sig.threads) == 2, sig.key
    for t in doc["threads"]:
        t.pop("kernel", None)  # imported: the module body's join is as visible, the lock wait too
    assert analyze(doc, read_source=False).signature == sig, names


def test_a_thread_started_on_a_function_of_the_others_path_is_the_same_path():
    from forensics.analysis import ThreadSignature, thread_similarity

    sender = ThreadSignature("threading:wait", ("dunning:await_slot", "dunning:send_letters"), "dunning:send_letters")
    inline = ThreadSignature("threading:wait", ("dunning:await_slot", "dunning:send_letters", "tasks:dunning"),
                             "tasks:dunning")
    other_job = ThreadSignature("threading:wait", ("dunning:await_slot", "billing:remind"), "billing:remind")
    assert thread_similarity(sender, inline) >= 0.8
    assert thread_similarity(sender, other_job) == 0.0 and thread_similarity(inline, other_job) == 0.0


def test_in_an_imported_dump_a_job_waiting_on_an_event_outranks_a_helper_nothing_can_see_into():
    heartbeat = {"tid": 3, "name": "heartbeat", "frames": [py("_beat", f"{APP}/health.py", 9)] + THREAD_ROOT}
    main = {"tid": 1, "name": "MainThread",
            "frames": runner(event_wait(355) + [py("await_config", f"{APP}/config.py", 22)])}
    top = analyze({"threads": [main, heartbeat]}, read_source=False).verdicts[0]
    assert top.kind == "wait" and top.roles[0].function == "await_config", top.text
    # the task as a thread's whole target (a threaded runner), its runner joining it: the event wait still leads
    task = {"tid": 2, "name": "task-runner-7", "frames": event_wait(355) + [py("await_config", f"{APP}/config.py",
                                                                              22)] + THREAD_ROOT}
    main = {"tid": 1, "name": "MainThread", "frames": runner(JOIN)}
    top = analyze({"threads": [main, task, heartbeat]}, read_source=False).verdicts[0]
    assert top.kind == "wait" and top.roles[0].function == "await_config", top.text
    # a join of short targets nothing can see into: whichever of them it joins is the culprit, never the joiner, so
    # the joined threads lead and the join says its state is theirs (unknown, no hang claimed); the hang is known by
    # both, so that it clusters with a live capture of the same processes, where the workers are seen on their locks
    workers = [{"tid": 4 + i, "name": f"worker-{i}", "frames": [py(f"transfer_{i}", f"{APP}/bank.py", 30 + i)]
                + THREAD_ROOT} for i in range(2)]
    main = {"tid": 1, "name": "MainThread", "frames": runner(JOIN + [py("supervise", f"{APP}/bank.py", 90)])}
    dump = {"id": "dump", "threads": [main, *workers]}
    pa = analyze(dump, read_source=False)
    assert [v.roles[0].function for v in pa.verdicts] == ["transfer_0", "transfer_1", "supervise"]
    assert pa.verdicts[-1].kind == "unknown" and "worker-0" in pa.verdicts[-1].text, pa.verdicts[-1].text
    assert len(pa.signature.threads) == 3
    lock = ["0x55e0c0", "0x189", "0", "0", "0", "0"]
    live = {"id": "live", "threads": [thread(1, "MainThread", main["frames"], "futex")] + [
        thread(4 + i, f"worker-{i}", w["frames"], "futex", [f"0x55e0{i}0", *lock[1:]], ("do_futex_wait",), True)
        for i, w in enumerate(workers)]}
    [one] = cluster([dump, live, dict(live, id="live2")])
    assert len(one.members) == 3
    # ... and a dump of another job waiting the same way, beside the same helpers, is another hang
    other = {"id": "other", "threads": [
        {"tid": 1, "name": "MainThread", "frames": runner(JOIN + [py("drain", f"{APP}/pollers.py", 12)])}, *workers]}
    assert len(cluster([dump, other])) == 2


def test_a_sleeping_thread_is_neither_what_a_waiter_is_stuck_on_nor_a_service_it_supervises():
    sleeper = thread(2, "heartbeat-0", [py("_tick", f"{APP}/health.py", 9), py("run", f"{APP}/health.py", 14)]
                     + THREAD_ROOT, "clock_nanosleep")
    for waiter, kind in ((event_wait(355), "wait"), (JOIN, "join")):
        main = thread(1, "MainThread", runner(waiter + [py("wait_until_loaded", f"{APP}/config.py", 27)]), "futex")
        top = analyze({"threads": [main, sleeper]}, read_source=False).verdicts[0]
        assert top.kind == kind and top.roles[0].function == "wait_until_loaded", top.text


def test_a_main_thread_waiting_for_shutdown_while_the_services_it_started_serve_is_no_hang():
    """``stop.wait()`` with no timeout in the module that started a consumer (``Queue.get(timeout=)`` in a loop):
    waiting for a signal to shut down, live or imported (a helper nothing can see into beside it changes nothing).
    The same wait beside consumers another module started (an idle pool's worker, a heartbeat) may be for an
    event whose setter returned early: the hang."""
    intake = [py("Condition.wait", f"{PY312}/threading.py", 359), py("Queue.get", f"{PY312}/queue.py", 180),
              py("_intake", f"{APP}/services.py", 17)] + THREAD_ROOT
    main = [*event_wait(355), py("run_services", f"{APP}/services.py", 40)] + runner([])
    census = [py("_refresh", f"{APP}/services.py", 27)] + THREAD_ROOT  # sleeps: seen live, unseen imported
    for live in (True, False):
        threads = [thread(1, "MainThread", main, "futex"), thread(2, "intake", intake, "futex", TIMED_FUTEX),
                   thread(3, "census", census, "clock_nanosleep")]
        if not live:
            threads = [{k: v for k, v in t.items() if k != "kernel"} for t in threads]
        pa = analyze({"threads": threads}, read_source=False)
        assert not any(v.kind in HANG_KINDS for v in pa.verdicts), (live, [v.text for v in pa.verdicts])
        assert "waiting for shutdown" in pa.threads[0].detail
        elsewhere = [dict(f, file=f"{APP}/pools.py") if f["file"].startswith(APP) else f for f in intake]
        other = [threads[0], dict(threads[1], frames=elsewhere), dict(threads[2], frames=[
            dict(census[0], file=f"{APP}/health.py")] + THREAD_ROOT)]
        top = analyze({"threads": other}, read_source=False).verdicts[0]
        assert top.kind in HANG_KINDS | {"unknown"} and top.roles[0].function == "run_services", (live, top.text)


def test_a_runner_joining_a_thread_that_runs_an_event_loop_forever_is_no_hang():
    """``loop.run_forever()`` in a thread of its own, idle in epoll_wait: a service waiting for work, like a selector
    or accept loop. The runner joining it (with heartbeats beside) waits for that service; joining only the
    heartbeats stays the hang."""
    loop = [py("EpollSelector.select", f"{LIB}/selectors.py", 468),
            py("BaseEventLoop._run_once", f"{LIB}/asyncio/base_events.py", 1884),
            py("BaseEventLoop.run_forever", f"{LIB}/asyncio/base_events.py", 607),
            py("serve_events", f"{APP}/events.py", 81)] + THREAD_ROOT
    beat = thread(3, "heartbeat-0", [py("_beat", f"{APP}/health.py", 9)] + THREAD_ROOT, "clock_nanosleep")
    main = thread(1, "MainThread", runner(JOIN), "futex")
    served = thread(2, "job-12", loop, "epoll_wait", ["0x3", "0x7f00", "0x1", "0xffffffff", "0", "0"])
    pa = analyze({"threads": [main, served, beat]}, read_source=False)
    assert not any(v.kind in HANG_KINDS for v in pa.verdicts), [v.text for v in pa.verdicts]
    top = analyze({"threads": [main, beat]}, read_source=False).verdicts[0]
    assert top.kind == "join" and top.roles[0].name == "MainThread", top.text


def test_a_queue_polled_with_a_timeout_is_a_worker_waiting_for_work():
    """Queue.get(timeout=) waits in Condition.wait(remaining): the same line as Event.wait(timeout)."""
    get = [py("Condition.wait", f"{PY312}/threading.py", 359), py("Queue.get", f"{PY312}/queue.py", 180),
           py("work_loop", f"{APP}/workers.py", 12)] + THREAD_ROOT
    forever = [dict(get[0], line=355)] + get[1:]
    polled, stuck = analyze({"threads": [{"tid": 2, "name": "w", "frames": get},
                                         {"tid": 3, "name": "c", "frames": forever}]}, read_source=False).threads
    assert polled.benign and polled.category == "idle"
    assert stuck.category == "queue-get" and not stuck.benign


def test_a_gil_owner_py_spy_saw_running_is_not_blocked_holding_it_whatever_the_kernel_read_after():
    """py-spy samples the frames, the kernel state is read a moment apart: a thread between two calls (a celery
    master packing a command before it polls) shows owns_gil and active with the next syscall."""
    frames = [py("pack", "/venv/lib/python3.12/site-packages/redis/connection.py", 168),
              py("loop", f"{APP}/consumer.py", 40)]
    t = thread(1, "MainThread", frames, "epoll_wait", ["0x3", "0x7ff0", "0x40", "0xffffffff", "0", "0"])
    t.update(owns_gil=True, active=True)
    assert analyze({"threads": [t]}, read_source=False).threads[0].category != "gil-holder-blocked"
    t["active"] = False  # py-spy saw it stopped holding the GIL: blocked in the call
    assert analyze({"threads": [t]}, read_source=False).threads[0].category == "gil-holder-blocked"


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(HARNESSES), st.frozensets(st.sampled_from(BYSTANDERS)), st.booleans(), st.booleans())
def test_a_service_idle_by_design_gets_no_hang_verdict_under_any_launcher(harness, bystanders, with_native, imported):
    """A task that serves until shutdown (``while not stop.wait(timeout=5)`` two calls deep), run by any launcher,
    with any bystanders, captured live or imported (no kernel state: the line in threading.py says timeout)."""
    service = event_wait(359) + [py("serve_until_stopped", f"{APP}/services.py", 12),
                                 py("run_service", f"{APP}/tasks.py", 30)]
    JOBS["service"] = (service, "futex", ("do_futex_wait",), TIMED_FUTEX)
    try:
        cap = capture("c", "service", harness, bystanders, with_native, 1)
    finally:
        del JOBS["service"]
    if imported:
        for t in cap["threads"]:
            t.pop("kernel")
    pa = analyze(cap, read_source=False)
    assert not any(v.kind in HANG_KINDS for v in pa.verdicts), [v.text for v in pa.verdicts]


def test_with_the_source_a_dump_says_what_the_c_call_is_and_a_lock_waiter_follows_the_holder(tmp_path):
    """An imported dump (no kernel state, no native frames): the source line says the reader is in sock.recv()
    holding the session lock; the job waiting for that lock is its consequence and comes after it."""
    src = tmp_path / "plc.py"
    src.write_text("import threading\nsession_lock = threading.Lock()\n\n\ndef read_frame(sock):\n"
                   "    with session_lock:\n        return sock.recv(4)\n\n\ndef poll_registers():\n"
                   "    with session_lock:\n        pass\n")
    reader = {"tid": 2, "name": "plc-reader", "frames": [py("read_frame", str(src), 7)] + THREAD_ROOT}
    job = {"tid": 3, "name": "job", "frames": [py("poll_registers", str(src), 11), py("run_job", f"{APP}/jobs.py", 9)]
           + THREAD_ROOT}
    first, second = analyze({"threads": [job, reader]}).verdicts[:2]
    assert first.kind == "io" and first.roles[0].name == "plc-reader" and "`session_lock`" in first.text, first.text
    assert second.kind == "lock" and 'held by thread "plc-reader"' in second.text, second.text
    assert "likely: from the source line `return sock.recv(4)`" in first.text, first.text


def test_the_source_line_names_the_blocking_c_call_only_when_nothing_else_can(tmp_path):
    src = tmp_path / "jobs.py"
    src.write_text("import fcntl\n\n\ndef append(fd):\n    fcntl.flock(fd, fcntl.LOCK_EX)\n\n\n"
                   "def drain(q):\n    return q.get()\n\n\ndef poll(q):\n    return q.get(timeout=5)\n")
    tail = [py("run_job", f"{APP}/jobs.py", 9), py("main", f"{APP}/cli.py", 3)]
    for line, kind in ((5, "flock"), (9, "queue"), (13, "unknown")):
        dump = {"threads": [{"tid": 1, "name": "MainThread", "frames": [py("f", str(src), line)] + tail}]}
        top = analyze(dump).verdicts[0]
        assert top.kind == kind, top.text
        assert ("likely: from the source line" in top.text) == (kind != "unknown"), top.text
        assert analyze(dump, read_source=False).verdicts[0].kind == "unknown"  # no source: an honest unknown


def test_sqlites_busy_handler_is_a_wait_for_the_database_lock():
    busy = native("sqlite3InvokeBusyHandler", "sqliteDefaultBusyCallback") + [
        py("save", f"{APP}/orders.py", 28), py("record", f"{APP}/orders.py", 40)] + THREAD_ROOT
    top = analyze({"threads": [{"tid": 2, "name": "writer", "frames": busy}]}, read_source=False).verdicts[0]
    assert top.kind == "lock" and "SQLite" in top.text and "busy timeout" in top.text, top.text


def test_a_runner_called_by_two_launchers_is_still_a_runner_and_a_shared_helper_is_not():
    from forensics.analysis.signature import Runners

    jobs = [f"tasks:job_{i}" for i in range(6)]
    chains = [(f"mod:wait_{i}", job, "cli:run_task", launcher)
              for i, job in enumerate(jobs) for launcher in ("cli:main", "runner:main")]
    # a helper two jobs share, stopped in two different waits: called from several places, calls few
    chains += [("pairs:_take", "pairs:run_step", "sync:users"), ("pairs:_release", "pairs:run_step", "sync:orders")]
    runners = Runners.learn(chains)
    assert "cli:run_task" in runners.dispatchers and "pairs:run_step" not in runners.dispatchers
    assert runners.cut(("mod:wait_0", "tasks:job_0", "cli:run_task", "runner:main")) == ("mod:wait_0", "tasks:job_0")


def test_a_runner_waiting_for_a_job_it_started_that_polls_in_a_sleep_loop_is_no_hang():
    """The job thread runs the runner's own closure (its module is on the waiter's stack) and sleeps in a loop: a
    poller, alive; the runner waits for a service it started. Imported (no kernel state): the job's state is
    unknown, and so is the wait for it, never "nothing sets it"."""
    job = [py("poll_changes", f"{APP}/feeds.py", 35), py("retried", f"{APP}/cli.py", 12), py("call", f"{APP}/cli.py", 16)]
    for waiter, wrap in ((JOIN, THREAD_ROOT), (FUTURE, POOL_ROOT), (event_wait(355, LIB), THREAD_ROOT)):
        live = {"threads": [thread(1, "MainThread", runner(waiter), "futex"),
                            thread(2, "Thread-46", job + wrap, "clock_nanosleep"),
                            thread(3, "heartbeat", [py("_beat", f"{APP}/health.py", 9)] + THREAD_ROOT,
                                   "clock_nanosleep")]}
        pa = analyze(live, read_source=False)
        assert not any(v.kind in HANG_KINDS for v in pa.verdicts), [v.text for v in pa.verdicts]
        dump = {"threads": [{k: v for k, v in t.items() if k != "kernel"} for t in live["threads"]]}
        vs = analyze(dump, read_source=False).verdicts
        assert not any(v.kind in HANG_KINDS for v in vs), [v.text for v in vs]


SITE = "/opt/quill-2.1/lib/python3.11/site-packages"
# redis-py 5+ reading a reply: its own C call (sock.recv_into), no standard-library frame under it
REDIS_READ = [py("SocketBuffer._read_from_socket", f"{SITE}/redis/_parsers/socket.py", 64),
              py("SocketBuffer.readline", f"{SITE}/redis/_parsers/socket.py", 117),
              py("Retry.call_with_retry", f"{SITE}/redis/retry.py", 120),
              py("ListCommands.rpush", f"{SITE}/redis/commands/core.py", 5280)]
ONE_FD_POLL = ["0x7f0e624fb718", "0x1", "0x1388", "0x0", "0x0", "0x0"]  # poll(&pfd, 1, 5000): a socket's timeout


def test_a_request_retried_while_a_runner_waits_for_it_forever_is_the_hang_with_or_without_native_frames():
    job = REDIS_READ + [py("push_event", f"{APP}/gateway.py", 20), py("stream_events", f"{APP}/tasks.py", 55)]
    for with_native in (False, True):
        cap = {"threads": [
            thread(1, "MainThread", runner(FUTURE), "futex"),
            thread(2, "tasks_0", job + POOL_ROOT, "poll", ONE_FD_POLL, natives=("__poll", "sock_recv_into"),
                   with_native=with_native),
            thread(3, "heartbeat", [py("_beat", f"{APP}/health.py", 9)] + THREAD_ROOT, "clock_nanosleep"),
        ]}
        top, *rest = analyze(cap, read_source=False).verdicts
        assert top.kind == "io" and top.roles[0].function == "push_event", (with_native, top.text)
        assert "with a timeout on each try" in top.text and "fix: bound the whole request" in top.text, top.text
        pool = next(v for v in rest if v.kind == "pool")
        assert 'waits for thread "tasks_0"' in pool.text and "which is stuck: see above" in pool.text


def test_a_socket_call_with_a_timeout_that_nothing_waits_for_is_a_loop_at_rest_with_or_without_native_frames():
    listener = [py("next_message", f"{APP}/bus.py", 31), py("listen", f"{APP}/bus.py", 12)] + THREAD_ROOT
    for with_native in (False, True):
        cap = {"threads": [
            thread(1, "MainThread", [py("main", f"{APP}/cli.py", 40)], "pause"),
            thread(2, "bus-listener", listener, "poll", ONE_FD_POLL, natives=("__poll", "sock_recv_into"),
                   with_native=with_native),
        ]}
        pa = analyze(cap, read_source=False)
        assert not any(v.kind in HANG_KINDS for v in pa.verdicts), (with_native, [v.text for v in pa.verdicts])
        assert pa.threads[1].benign and "wakes up periodically" in pa.threads[1].detail


def test_a_client_librarys_own_socket_read_names_the_wait_in_an_imported_dump():
    dump = {"threads": [{"tid": 1, "name": "MainThread", "frames": REDIS_READ + [
        py("push_event", f"{APP}/gateway.py", 20), py("main", f"{APP}/cli.py", 3)]}]}
    top = analyze(dump, read_source=False).verdicts[0]
    assert top.kind == "io" and top.roles[0].function == "push_event", top.text
    # a function of that name in another package is no client library's read
    other = {"threads": [{"tid": 1, "name": "MainThread", "frames": [
        py("Buffer._read_from_socket", f"{SITE}/mylib/socket.py", 9), py("main", f"{APP}/cli.py", 3)]}]}
    assert analyze(other, read_source=False).verdicts[0].kind == "unknown"


def test_a_join_of_a_thread_that_waits_for_a_lock_the_joiner_holds_is_blamed_on_the_joiner(tmp_path):
    src = tmp_path / "imports.py"
    src.write_text("import threading\n\n\ndef _load(guard):\n    guard.acquire()\n\n\n"
                   "def finish_import(other):\n    guard = threading.Lock()\n    guard.acquire()\n"
                   "    t = threading.Thread(target=_load, args=(other if other else guard,))\n    t.start()\n"
                   "    t.join()\n")
    joiner = thread(1, "MainThread", runner(JOIN + [py("finish_import", str(src), 13)]), "futex")
    loader = thread(2, "loader", [py("_load", str(src), 5)] + THREAD_ROOT, "futex", ["0x55e0", "0x189", "0", "0", "0",
                                                                                    "0"])
    top = analyze({"threads": [joiner, loader]}).verdicts[0]
    assert top.kind == "join" and top.roles[0].function == "finish_import", top.text
    assert 'joins thread "loader"' in top.text and "while holding `guard`" in top.text, top.text
    assert "fix: release the lock before joining in finish_import()" in top.text, top.text
    # the joined thread waits for a lock of another name: the join is its consequence, the lock wait leads
    src.write_text(src.read_text().replace("    guard.acquire()\n\n", "    spare.acquire()\n\n")
                   .replace("def _load(guard)", "def _load(spare)"))
    top = analyze({"threads": [joiner, loader]}).verdicts[0]
    assert top.kind == "lock" and top.roles[0].function == "_load", top.text


def test_a_busy_loop_caught_inside_a_generator_expression_is_the_same_hang_as_caught_in_its_function():
    def busy(leaf: list[dict], pid: int) -> dict:
        frames = leaf + [py("route_step", f"{APP}/solver.py", 64), py("solve_routes", f"{APP}/solver.py", 80),
                         py("plan_routes", f"{APP}/plan.py", 8)] + THREAD_ROOT
        return {"host": "h", "pid": pid, "id": f"c{pid}", "threads": [
            {"tid": 2, "name": "job-1", "active": True, "frames": frames, "kernel": {"state": "R", "running": True}}]}
    genexpr = [py("<genexpr>", f"{APP}/solver.py", 64)]
    caps = [busy(genexpr, 1), busy(genexpr, 2), busy([], 3), busy([], 4)]
    assert len(cluster(caps)) == 1
    top = analyze(caps[0], read_source=False).verdicts[0]
    assert top.kind == "busy" and top.roles[0].function == "route_step", top.text


def test_a_multiplexer_watching_a_listening_socket_is_a_server_and_one_watching_only_peers_is_not():
    def selecting(watches: list[str]) -> dict:
        frames = [py("EpollSelector.select", f"{LIB}/selectors.py", 468), py("serve", f"{APP}/api.py", 30),
                  py("run_api", f"{APP}/tasks.py", 12)] + THREAD_ROOT
        t = thread(2, "api", frames, "epoll_wait", ["0x3", "0x7f00", "0x2", "0xffffffff", "0", "0"])
        t["kernel"]["watches"] = watches
        return {"threads": [thread(1, "MainThread", runner(JOIN), "futex"), t]}
    for watches in (["listen tcp 0.0.0.0:8000", "unix"], ["listen unix /run/api.sock", "tcp 10.0.0.2:8000->10.0.0.7:51234"]):
        pa = analyze(selecting(watches), read_source=False)
        assert not any(v.kind in HANG_KINDS for v in pa.verdicts), (watches, [v.text for v in pa.verdicts])
        assert "a server waiting for clients on " + watches[0].partition(" ")[2] in pa.threads[1].detail
    top = analyze(selecting(["tcp 10.0.0.2:5000->10.0.0.9:6379"]), read_source=False).verdicts[0]
    assert top.kind == "io" and top.roles[0].function == "serve", top.text
    assert "with no timeout" in top.text and "(it watches tcp 10.0.0.2:5000->10.0.0.9:6379)" in top.text, top.text


def test_a_process_whose_only_verdicts_are_sleeping_loops_says_no_hang_first():
    cap = {"threads": [
        thread(1, "MainThread", [py("wait_for_signals", f"{APP}/services.py", 12), py("main", f"{APP}/cli.py", 40)],
               "pause"),
        thread(2, "heartbeat", [py("_beat", f"{APP}/health.py", 9)] + THREAD_ROOT, "clock_nanosleep"),
    ]}
    first, *rest = analyze(cap, read_source=False).verdicts
    assert first.kind == "idle" and first.text.startswith("no hang in this capture: no thread is stuck"), first.text
    assert '"heartbeat" in _beat()' in first.text and [v.kind for v in rest] == ["sleep"]


def test_a_consumer_beside_the_server_that_feeds_it_is_idle_and_beside_nothing_else_it_is_the_hang():
    consumer = [py("Condition.wait", f"{LIB}/threading.py", 320), py("Queue.get", f"{LIB}/queue.py", 171),
                py("consume_jobs", f"{APP}/services.py", 64), py("main", f"{APP}/cli.py", 40)]
    listener = thread(2, "dispatch-listener", [py("socket.accept", f"{LIB}/socket.py", 294),
                                               py("accept_dispatches", f"{APP}/services.py", 30)] + THREAD_ROOT,
                      "accept4")
    beat = thread(3, "heartbeat", [py("_beat", f"{APP}/health.py", 9)] + THREAD_ROOT, "clock_nanosleep")
    main = thread(1, "MainThread", consumer, "futex", ["0x7f00", "0x189", "0", "0", "0", "0"])
    pa = analyze({"threads": [main, listener, beat]}, read_source=False)
    assert not any(v.kind in HANG_KINDS for v in pa.verdicts), [v.text for v in pa.verdicts]
    assert 'its server thread "dispatch-listener"' in pa.threads[0].detail
    # a server of another module's (not the code that made the queue) and a heartbeat: nothing feeds it
    other = thread(2, "admin", [py("socket.accept", f"{LIB}/socket.py", 294), py("serve_admin", f"{APP}/admin.py", 8)]
                   + THREAD_ROOT, "accept4")
    top = analyze({"threads": [main, other, beat]}, read_source=False).verdicts[0]
    assert top.kind == "queue" and top.roles[0].function == "consume_jobs", top.text


def test_a_busy_gil_owner_whose_source_line_runs_a_compiled_pattern_holds_the_gil_in_the_regex_engine(tmp_path):
    src = tmp_path / "captions.py"
    src.write_text("import re\n_CUE = re.compile(r'(a+)+$')\n\n\ndef parse(lines):\n    for line in lines:\n"
                   "        if _CUE.match(line):\n            yield line\n\n\ndef spin(n):\n    while n:\n"
                   "        n += 1\n")

    def cap(line: int) -> dict:
        owner = {"tid": 1, "name": "MainThread", "owns_gil": True, "active": True,
                 "frames": [py("parse", str(src), line), py("main", f"{APP}/cli.py", 40)],
                 "kernel": {"state": "R", "running": True}}
        return {"threads": [owner, thread(2, "heartbeat", [py("_beat", f"{APP}/health.py", 9)] + THREAD_ROOT,
                                          "futex", TIMED_FUTEX)]}
    top = analyze(cap(7)).verdicts[0]
    assert top.kind == "gil" and "likely: from the source line `if _CUE.match(line):`" in top.text, top.text
    assert "fix: the regular expression in parse()" in top.text, top.text
    assert analyze(cap(13)).verdicts[0].kind == "busy"  # a loop of its own: busy, as before
    assert analyze(cap(7), read_source=False).verdicts[0].kind == "busy"  # no source: no claim


def test_a_regex_gil_owner_is_one_cluster_with_and_without_the_engines_native_frames():
    def cap(pid: int, with_native: bool) -> dict:
        lead = native("sre_ucs1_match", "_sre_SRE_Pattern_match") if with_native else []
        owner = {"tid": 1, "name": "MainThread", "owns_gil": True, "active": True, "kernel": {"state": "R"},
                 "frames": lead + [py("parse_cues", f"{APP}/captions.py", 12), py("main", f"{APP}/cli.py", 40)]}
        return {"host": "h", "pid": pid, "id": f"r{pid}", "threads": [owner]}
    caps = [cap(1, True), cap(2, True), cap(3, False), cap(4, False)]
    assert analyze(caps[0], read_source=False).verdicts[0].kind == "gil"
    assert len(cluster(caps)) == 1


def test_jobs_queued_on_a_deadlocked_lock_come_and_go_without_splitting_the_deadlock():
    def futex(word: str) -> list[str]:
        return [word, "0x189", "0", "0", "0", "0"]

    def cap(pid: int, lookups: int) -> dict:
        threads = [
            thread(1, "register", [py("charge_storage", f"{APP}/quota.py", 12),
                                   py("register_rendition", f"{APP}/catalog.py", 40)] + THREAD_ROOT, "futex",
                   futex("0x55e0a0")),
            thread(2, "expire", [py("drop_rendition", f"{APP}/catalog.py", 22),
                                 py("refund_storage", f"{APP}/quota.py", 30)] + THREAD_ROOT, "futex", futex("0x55e0b0")),
        ] + [thread(10 + k, f"lookup-{k}", [py("lookup_rendition", f"{APP}/catalog.py", 50)] + THREAD_ROOT, "futex",
                    futex("0x55e0b0")) for k in range(lookups)]
        return {"host": "h", "pid": pid, "id": f"d{pid}", "threads": threads}
    assert len(cluster([cap(1, 2), cap(2, 2), cap(3, 0), cap(4, 0), cap(5, 1)])) == 1


def test_of_two_threads_seen_on_a_cpu_the_gil_owner_is_the_one_blamed():
    def busy(tid: int, name: str, fn: str, gil: bool) -> dict:
        return {"tid": tid, "name": name, "owns_gil": gil, "active": True,
                "frames": [py(fn, f"{APP}/basecall.py", 20), py("scan_reads", f"{APP}/basecall.py", 40)] + THREAD_ROOT}
    for order in ((True, False), (False, True)):
        threads = [busy(1, "scanner", "scan_motifs", order[0]), busy(2, "progress", "report_progress", order[1])]
        owner = "scan_motifs" if order[0] else "report_progress"
        top = analyze({"threads": threads}, read_source=False).verdicts[0]
        assert top.kind == "busy" and top.roles[0].function == owner, top.text


def test_a_queue_join_that_never_returns_is_a_missing_task_done_not_a_condition_nobody_notifies():
    join = [py("Condition.wait", f"{LIB}/threading.py", 320), py("Queue.join", f"{LIB}/queue.py", 90),
            py("drain_uploads", f"{APP}/uploads.py", 25), py("main", f"{APP}/cli.py", 40)]
    top = analyze({"threads": [thread(1, "MainThread", join, "futex")]}, read_source=False).verdicts[0]
    assert top.kind == "queue" and "task_done() never called" in top.text, top.text
    assert "fix: call q.task_done() once for every q.get()" in top.text, top.text


def test_a_thread_parked_on_an_event_made_in_the_same_statement_is_idle_and_a_shared_event_nobody_sets_is_not(tmp_path):
    """`threading.Event().wait()` waits on an Event nothing else can reach: the idiom that parks a daemon's main
    thread forever while its other threads work. An Event the program keeps (and forgot to set) is the hang."""
    src = tmp_path / "daemon.py"
    src.write_text("import threading\nready = threading.Event()\n\n\ndef serve():\n    threading.Event().wait()\n\n\n"
                   "def await_ready():\n    ready.wait()\n")
    wait = [py("Condition.wait", f"{LIB}/threading.py", 320), py("Event.wait", f"{LIB}/threading.py", 607)]
    pool = {"tid": 9, "name": "pool_0", "frames": [py("_worker", f"{LIB}/concurrent/futures/thread.py", 81)]
            + THREAD_ROOT, "kernel": {"state": "S", "syscall": {"nr": 202, "name": "futex", "args": ["0"] * 6}}}
    for line, parks in ((6, True), (10, False)):
        main = {"tid": 1, "name": "MainThread", "frames": wait + [py("f", str(src), line), py("main", f"{APP}/cli.py", 3)],
                "kernel": {"state": "S", "syscall": {"nr": 202, "name": "futex", "args": ["0"] * 6}}}
        a = analyze({"threads": [main, pool]})
        top = a.verdicts[0]
        assert (top.kind == "idle") == parks, top.text
        assert ("parks forever on `threading.Event().wait()`" in top.text) == parks, top.text
        assert (a.threads[0].category == "idle") == parks
        assert analyze({"threads": [main, pool]}, read_source=False).verdicts[0].kind == "wait"  # no source: no idiom


def test_a_runner_joining_a_service_thread_started_on_asyncio_run_or_waiting_for_a_signal_is_no_hang():
    """A service thread whose target is one function of the application (no helper: what ends it comes from outside
    the process) -- ``asyncio.run(serve())`` idle in epoll_wait watching its listening socket, or
    ``signal.sigwait()`` waiting for SIGTERM -- is what the runner's join waits for: no hang. Joining only loops the
    program must tell to stop stays the hang, and so does joining ``asyncio.run(fetch())`` whose loop watches no
    listener (the one coroutine it runs may await a peer that never answers)."""
    epoll = ("epoll_wait", ["0x3", "0x7f00", "0x1", "0xffffffff", "0", "0"])
    asyncio_run = [py("EpollSelector.select", f"{LIB}/selectors.py", 468),
                   py("BaseEventLoop._run_once", f"{LIB}/asyncio/base_events.py", 1884),
                   py("BaseEventLoop.run_forever", f"{LIB}/asyncio/base_events.py", 607),
                   py("BaseEventLoop.run_until_complete", f"{LIB}/asyncio/base_events.py", 640),
                   py("Runner.run", f"{LIB}/asyncio/runners.py", 118), py("run", f"{LIB}/asyncio/runners.py", 190),
                   py("serve_portal", f"{APP}/portal.py", 53)]
    sigwait = ([py("sigwait", f"{LIB}/signal.py", 82), py("run_service", f"{APP}/laundry.py", 26)],
               ("rt_sigtimedwait", ["0x7ffd", "0", "0", "0x8", "0", "0"]))
    beat = thread(3, "hb-0", [py("Condition.wait", f"{LIB}/threading.py", 331), py("Event.wait", f"{LIB}/threading.py",
                  629), py("_beat", f"{APP}/health.py", 9)] + THREAD_ROOT, "futex", ["0x5", "0x189", "0", "0x7f", "0",
                                                                                        "0xffffffff"])
    main = thread(1, "MainThread", runner(JOIN), "futex")
    for frames, (syscall, args), watches in ((asyncio_run, epoll, ["listen tcp 127.0.0.1:8443"]), (*sigwait, None)):
        service = thread(2, "Thread-1", frames + THREAD_ROOT, syscall, args)
        if watches:
            service["kernel"]["watches"] = watches
        pa = analyze({"threads": [main, service, beat]}, read_source=False)
        assert not any(v.kind in HANG_KINDS for v in pa.verdicts), [v.text for v in pa.verdicts]
    client = thread(2, "Thread-1", asyncio_run + THREAD_ROOT, *epoll)
    client["kernel"]["watches"] = ["tcp 10.0.0.5:40112 -> 10.0.0.9:443"]
    for threads in ([main, beat], [main, client, beat]):
        top = analyze({"threads": threads}, read_source=False).verdicts[0]
        assert top.kind == "join" and top.roles[0].name == "MainThread", top.text


def test_redis_pys_pubsub_listener_thread_waits_for_messages_by_design_in_an_imported_dump():
    """pubsub.run_in_thread() (RQ's command channel): PubSubWorkerThread.run -> get_message(timeout=) -> can_read,
    caught in recv with native frames and no kernel state to show the timeout. A library's loop waiting for
    messages: idle by design. The same socket read under application code stays the job's hang."""
    listener = [py("SocketBuffer._read_from_socket", f"{SITE}/redis/_parsers/socket.py", 64),
                py("SocketBuffer.can_read", f"{SITE}/redis/_parsers/socket.py", 92),
                py("PubSub.parse_response", f"{SITE}/redis/client.py", 960),
                py("PubSub.get_message", f"{SITE}/redis/client.py", 1090),
                py("PubSubWorkerThread.run", f"{SITE}/redis/client.py", 1350)] + THREAD_ROOT
    recv = native("__libc_recv", "sock_recv_impl")
    dump = {"threads": [{"tid": 7, "name": "Thread-1", "frames": recv + listener}]}
    assert analyze(dump, read_source=False).verdicts[0].kind == "idle"
    job = {"threads": [{"tid": 1, "name": "MainThread", "frames": recv + REDIS_READ + [
        py("push_event", f"{APP}/gateway.py", 20), py("main", f"{APP}/cli.py", 3)]}]}
    assert analyze(job, read_source=False).verdicts[0].kind == "io"

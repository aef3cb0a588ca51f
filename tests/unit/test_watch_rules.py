"""The watchdog's rules, pure functions over samples: given exactly what /proc and a heartbeat would say."""
from __future__ import annotations

from forensics.fleet.orphans import Parent, reparented
from forensics.identity import ProcessIdentity
from forensics.syscalls import syscall_name
from forensics.watch.heartbeats import Beat
from forensics.watch.rules import CLK_TCK, RuleConfig, advance, evaluate, no_progress
from forensics.watch.sampler import ProcSample, ThreadSample

IDENT = ProcessIdentity(100, 5000)
FUTEX = next(nr for nr in range(512) if syscall_name(nr) == "futex")
READ = next(nr for nr in range(512) if syscall_name(nr) == "read")


def th(tid, nr=FUTEX, args=(1, 2, 3, 0, 0, 0), cpu=10, vol=5, state="S"):
    return ThreadSample(tid=tid, state=state, syscall=None if nr is None else (nr, *args), cpu_ticks=cpu,
                        voluntary=vol)


def proc(at, *threads, cpu=None, ppid=1, rss=10 << 20):
    return ProcSample(ident=IDENT, at=at, state="S", ppid=ppid,
                      cpu_ticks=cpu if cpu is not None else sum(t.cpu_ticks for t in threads), rss=rss,
                      threads=tuple(threads))


def beat(mono, state="task", started=None, beater=None, ppid=1):
    return Beat(pid=100, start_ticks=5000, mono=mono, state=state, ppid=ppid, task="t" if state == "task" else None,
                started_mono=started, beater_tid=beater)


CFG = RuleConfig(stale_s=10)


def hist(*samples, skip=frozenset()):
    """A target's history as the watchdog keeps it: each sample advanced from the one before."""
    out = []
    for s in samples:
        out.append(advance(out[-1] if out else None, s, skip))
    return tuple(out)


def test_flat_threads_in_unchanged_syscalls_are_blocked():
    ev = no_progress(hist(proc(0, th(1), th(2, READ)), proc(5, th(1), th(2, READ))))
    assert ev["window_s"] == 5 and ev["samples"] == 2 and ev["threads_considered"] == 2


def test_changed_args_cpu_or_switches_mean_progress():
    base = proc(0, th(1), th(2, READ))
    assert no_progress(hist(base, proc(5, th(1, args=(9, 2, 3, 0, 0, 0)), th(2, READ)))) is None
    assert no_progress(hist(base, proc(5, th(1), th(2, READ, vol=6)))) is None  # a read woken: not futex
    assert no_progress(hist(base, proc(5, th(1, nr=None), th(2, READ)))) is None  # running
    assert no_progress(hist(base, proc(5, th(1), th(2, READ, cpu=10 + 5 * CLK_TCK)))) is None
    assert no_progress(hist(base, proc(5, th(1), th(2, READ), th(3)))) is None  # a new thread
    assert no_progress(hist(base,)) is None  # one sample proves nothing


def test_gil_waiters_wake_every_switch_interval_yet_a_gil_hang_still_counts():
    holder_then = th(1, READ)
    waiters_then = [th(t, vol=100) for t in (2, 3)]
    waiters_now = [th(t, vol=100 + 1000) for t in (2, 3)]  # 5 ms switch interval: ~200 wakeups a second
    ev = no_progress(hist(proc(0, holder_then, *waiters_then), proc(5, holder_then, *waiters_now)))
    assert ev is not None
    assert {t["tid"]: t["gil_waiter"] for t in ev["threads"]} == {1: False, 2: True, 3: True}


def test_threads_that_all_keep_waking_with_nobody_holding_still_are_not_blocked():
    ev = no_progress(hist(proc(0, th(2, vol=1), th(3, vol=1)), proc(5, th(2, vol=900), th(3, vol=900))))
    assert ev is None


def test_the_run_is_the_longest_unchanged_stretch_ending_now():
    moving = proc(0, th(1, cpu=1))
    still = [proc(t, th(1)) for t in (2, 4, 6)]
    assert no_progress(hist(moving, *still))["window_s"] == 4
    assert no_progress(hist(moving, *still), at_least=5) is None


def test_stale_heartbeat_is_busy_when_cpu_moves_blocked_when_nothing_does():
    stale = beat(mono=0, started=0)
    busy = (proc(20, th(1, nr=None, cpu=0, state="R")), proc(25, th(1, nr=None, cpu=5 * CLK_TCK, state="R")))
    assert evaluate(hist(*busy), stale, True, None, 30, CFG).rule == "busy"
    still = (proc(20, th(1)), proc(25, th(1)))
    det = evaluate(hist(*still), stale, True, None, 30, CFG)
    assert det.rule == "blocked" and det.evidence["last_beat_age_s"] == 30
    one = (proc(25, th(1)),)
    assert evaluate(hist(*one), stale, True, None, 30, CFG).rule == "heartbeat_stale"


def test_idle_is_never_stale_and_a_fresh_beat_from_the_working_code_is_progress():
    still = (proc(20, th(1)), proc(25, th(1)))
    assert evaluate(hist(*still), beat(mono=0, state="idle"), True, None, 1000, CFG) is None
    assert evaluate(hist(*still), beat(mono=24, started=0), True, None, 25, CFG) is None


def test_a_beating_heartbeat_thread_is_ignored_by_the_blocked_rule():
    samples = hist(proc(20, th(1), th(9, vol=1)), proc(25, th(1), th(9, vol=50, cpu=11)), skip=frozenset({9}))
    det = evaluate(samples, beat(mono=24.9, started=0, beater=9), True, None, 25, CFG)
    assert det.rule == "blocked" and det.evidence["ignored_tids"] == [9] and det.evidence["heartbeat_from_thread"] == 9
    young = beat(mono=24.9, started=20, beater=9)  # the task is younger than the stale limit
    assert evaluate(samples, young, True, None, 25, CFG) is None


def test_task_overrun():
    cfg = RuleConfig(stale_s=10, task_limit_s=60)
    samples = (proc(99, th(1, nr=None, state="R")),)
    det = evaluate(samples, beat(mono=99, started=0), True, None, 100, cfg)
    assert det.rule == "task_overrun" and det.evidence["task_age_s"] == 100


def test_unknown_heartbeats_judge_nothing_but_memory():
    still = (proc(20, th(1), rss=1 << 30), proc(25, th(1), rss=1 << 30))
    assert evaluate(hist(*still), None, False, None, 30, RuleConfig(blocked_s=1)) is None
    assert evaluate(hist(*still), None, False, None, 30, RuleConfig(rss_limit=1 << 29)).rule == "memory"


def test_without_a_heartbeat_blocked_is_opt_in_and_needs_its_duration():
    still = (proc(20, th(1)), proc(25, th(1)))
    assert evaluate(hist(*still), None, True, None, 25, RuleConfig()) is None
    assert evaluate(hist(*still), None, True, None, 25, RuleConfig(blocked_s=10)) is None
    assert evaluate(hist(*still), None, True, None, 25, RuleConfig(blocked_s=5)).rule == "blocked"


def test_orphan_when_the_recorded_parent_is_gone():
    samples, recorded, no_process = hist(proc(1, th(1), ppid=1)), Parent(77, 123, "heartbeat"), {}.get
    det = evaluate(samples, beat(mono=1, state="idle", ppid=77), True, reparented(samples[-1], recorded, no_process),
                   1, CFG)
    assert det.rule == "orphan" and det.evidence == {
        "basis": "heartbeat", "recorded_ppid": 77, "recorded_parent_start_ticks": 123,
        "recorded_parent_same_exe": None, "recorded_parent": "exited", "ppid": 1, "reparented_to": "init"}
    kept = proc(1, th(1), ppid=77)
    assert evaluate((kept,), None, True, reparented(kept, recorded, no_process), 1, CFG) is None


def test_memory_by_the_chosen_metric():
    s = ProcSample(ident=IDENT, at=1, state="S", ppid=1, cpu_ticks=0, rss=900, pss=500, uss=400)
    assert evaluate((s,), None, True, None, 1, RuleConfig(rss_limit=800)).evidence["value"] == 900
    assert evaluate((s,), None, True, None, 1, RuleConfig(rss_limit=800, memory_metric="pss")) is None
    assert evaluate((s,), None, True, None, 1, RuleConfig(rss_limit=450, memory_metric="pss")).rule == "memory"

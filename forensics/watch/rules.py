"""The rules: pure functions of samples, a heartbeat and the monotonic now, returning a detection with its evidence.

One detection per target per scan, the most specific first: orphan, memory, then the hang rules. A stale
heartbeat is told apart by what /proc shows meanwhile: CPU moving is ``busy`` (a spin, a runaway loop), no
progress at all is ``blocked``, anything else (a single sample, a thread doing a little) stays
``heartbeat_stale``. A fresh beat from a background heartbeat thread proves nothing about the main code,
so ``blocked`` is checked even then, ignoring that thread. A worker that declared itself idle is never stale.
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from forensics.syscalls import syscall_name
from forensics.watch.heartbeats import Beat
from forensics.watch.sampler import ProcSample, ThreadSample

CLK_TCK = os.sysconf("SC_CLK_TCK")
HANG_RULES = ("heartbeat_stale", "busy", "blocked", "task_overrun")
GIL_WAIT_CPU_SHARE = 0.05  # a GIL waiter wakes every switch interval (5 ms) but burns only microseconds each time
MAX_THREADS_IN_EVIDENCE = 16
CPU_WINDOW_TICKS = 10


@dataclass(frozen=True)
class RuleConfig:
    stale_s: float = 30.0
    task_limit_s: float | None = None  # task_overrun: a task older than this
    blocked_s: float | None = None  # blocked for targets without a heartbeat (None: not judged)
    busy_share: float = 0.1  # CPU share of one core that counts as "moving" (a blocked process has ~0)
    rss_limit: int | None = None  # bytes
    memory_metric: str = "rss"  # rss, pss or uss


@dataclass(frozen=True)
class Detection:
    rule: str
    evidence: dict = field(default_factory=dict)

    @property
    def hang(self) -> bool:
        """Counts toward the circuit breaker (a leak or an orphan does not say a dependency is down)."""
        return self.rule in HANG_RULES


def cpu_share(samples: Sequence[ProcSample]) -> float | None:
    """Share of one core the process used since the latest sample at least CPU_WINDOW_TICKS clock ticks old
    (CPU time moves in whole ticks: over a shorter span a spinning process can look idle)."""
    b = samples[-1]
    for i in range(len(samples) - 2, -1, -1):  # a Sequence: the watchdog passes its deque as it is
        a = samples[i]
        dt = b.at - a.at
        if dt * CLK_TCK >= CPU_WINDOW_TICKS:
            return (b.cpu_ticks - a.cpu_ticks) / CLK_TCK / dt
    return None


def _flat(a: ThreadSample, b: ThreadSample) -> bool:
    return a.cpu_ticks == b.cpu_ticks and a.voluntary == b.voluntary


def _gil_waiter(a: ThreadSample, b: ThreadSample, dt: float) -> bool:
    """Woken every switch interval to retry the GIL: futex wait, same args, switches rising, ~no CPU."""
    return (syscall_name(b.syscall[0]) == "futex"
            and (b.cpu_ticks - a.cpu_ticks) <= GIL_WAIT_CPU_SHARE * dt * CLK_TCK + 1)


def _threads_unchanged(old: ProcSample, new: ProcSample, skip: frozenset[int]) -> dict[int, bool] | None:
    """tid -> woken-but-waiting (GIL waiter) for every thread unchanged between two samples; None if any moved."""
    before = {t.tid: t for t in old.threads or () if t.tid not in skip}
    after = {t.tid: t for t in new.threads or () if t.tid not in skip}
    if not after or before.keys() != after.keys():
        return None
    dt = new.at - old.at
    out = {}
    for tid, b in after.items():
        a = before[tid]
        if b.syscall is None or a.syscall != b.syscall or b.state == "R":
            return None
        if _flat(a, b):
            out[tid] = False
        elif _gil_waiter(a, b, dt):
            out[tid] = True
        else:
            return None
    return out if not all(out.values()) else None  # all "waiting for the GIL" and nobody holding still: it moves


def advance(prev: ProcSample | None, new: ProcSample, skip: frozenset[int] = frozenset()) -> ProcSample:
    """``new`` with ``still_since`` carried on: the start of the run of samples in which no thread (but
    ``skip``) progressed. Each new sample is compared with the one before only, so a scan costs the same
    however long a target has been stuck."""
    if prev is None or prev.threads is None or new.threads is None or _threads_unchanged(prev, new, skip) is None:
        return new
    return new._replace(still_since=prev.still_since if prev.still_since is not None else prev.at)


def no_progress(samples: Sequence[ProcSample], skip: frozenset[int] = frozenset(),
                at_least: float = 0.0) -> dict | None:
    """Evidence that no thread (but ``skip``) progressed over >= 2 samples (see ``advance``) lasting at
    least ``at_least`` s; the evidence is only built for a detection."""
    latest = samples[-1]
    since = latest.still_since
    if since is None or latest.at - since < at_least or len(samples) < 2:
        return None
    waiting = _threads_unchanged(samples[-2], latest, skip)
    if waiting is None:  # skip changed since the run was counted
        return None
    threads = []
    for t in latest.threads:
        if t.tid in waiting and len(threads) < MAX_THREADS_IN_EVIDENCE:
            nr, *args = t.syscall
            threads.append({"tid": t.tid, "state": t.state, "syscall": syscall_name(nr),
                            "args": [hex(a) for a in args[:3]], "gil_waiter": waiting[t.tid]})
    return {"window_s": round(latest.at - since, 3), "samples": sum(1 for s in samples if s.at >= since),
            "threads_considered": len(waiting), "threads": threads,
            "ignored_tids": sorted(skip & {t.tid for t in latest.threads})}


def memory(latest: ProcSample, cfg: RuleConfig) -> Detection | None:
    if cfg.rss_limit is None:
        return None
    value = getattr(latest, cfg.memory_metric)
    if value is None or value <= cfg.rss_limit:
        return None
    return Detection("memory", {"metric": cfg.memory_metric, "value": value, "limit": cfg.rss_limit})


def with_heartbeat(beat: Beat, samples: Sequence[ProcSample], now: float, cfg: RuleConfig) -> Detection | None:
    if beat.state == "idle":
        return None
    # A healthy worker's file lags its last call by up to the writer's period: never call that stale.
    stale_s = beat.stale_s
    if stale_s is None:
        stale_s = max(cfg.stale_s, 2 * beat.resolution)
    fresh = now - beat.mono <= stale_s
    if fresh and beat.beater_tid is None and (cfg.task_limit_s is None or beat.started_mono is None):
        return None  # the common case, decided first: a fresh beat from the working code itself

    def base(**more) -> dict:
        return dict(beat.summary(now), stale_s=stale_s, **more)

    if not fresh:
        share = cpu_share(samples)
        if share is not None and share >= cfg.busy_share:
            return Detection("busy", base(cpu_share=round(share, 3)))
        stuck = no_progress(samples, beat.own_tids)
        if stuck is not None:
            return Detection("blocked", base(**stuck))
        return Detection("heartbeat_stale", base())
    task_age = beat.task_age(now)
    if cfg.task_limit_s is not None and task_age is not None and task_age > cfg.task_limit_s:
        return Detection("task_overrun", base(task_limit_s=cfg.task_limit_s))
    if beat.beater_tid is None:
        return None  # a fresh beat from the working code itself: it progresses
    stuck = no_progress(samples, beat.own_tids)
    if stuck is None:
        return None
    held = task_age if task_age is not None else stuck["window_s"]
    if held < stale_s:
        return None
    return Detection("blocked", base(heartbeat_from_thread=beat.beater_tid, **stuck))


def without_heartbeat(samples: Sequence[ProcSample], cfg: RuleConfig) -> Detection | None:
    """Only /proc to go by: blocked for at least ``blocked_s`` (opt-in: an idle worker looks the same)."""
    if cfg.blocked_s is None:
        return None
    stuck = no_progress(samples, at_least=cfg.blocked_s)
    return None if stuck is None else Detection("blocked", dict(stuck, blocked_s=cfg.blocked_s))


def evaluate(
    samples: Sequence[ProcSample],
    beat: Beat | None,
    beat_known: bool,
    orphaned: dict | None,
    now: float,
    cfg: RuleConfig,
) -> Detection | None:
    """The one detection for a target, or None. ``beat_known`` False: the heartbeat store could not be read.
    ``orphaned``: the evidence of forensics.fleet.orphans (the finder ``hangdump orphans`` uses) that the
    target lost its parent."""
    latest = samples[-1]
    if latest.state in ("Z", "X"):
        return None
    found = (None if orphaned is None else Detection("orphan", orphaned)) or memory(latest, cfg)
    if found is not None or not beat_known:
        return found
    if beat is not None:
        return with_heartbeat(beat, samples, now, cfg)
    return without_heartbeat(samples, cfg)

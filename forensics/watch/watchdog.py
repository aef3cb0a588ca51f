"""The scan loop: discover targets, read beats, sample /proc, apply the rules, hand detections to the policy.

``scan()`` is one pass and returns what it found (the library API the tests drive); ``act()`` starts a
response per new detection, each in its own thread so one grace period never delays the next scan;
``run_once()`` (cron: two samples an interval apart, then act and wait) and ``run()`` (forever) build on them.
"""
from __future__ import annotations

import collections
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from forensics.heartbeat import default_dir, default_source
from forensics.identity import ProcessIdentity
from forensics.store.select import open_store
from forensics.watch import rules
from forensics.watch.capture import capture_target
from forensics.watch.clock import MonotonicClock
from forensics.watch.events import Events
from forensics.watch.gunicorn import worker_beat
from forensics.watch.heartbeats import Beat, Beats
from forensics.watch.journal import Journal
from forensics.watch.metrics import Metrics
from forensics.watch.policy import PolicyConfig, RateLimiter, Responder, breaker_tripped
from forensics.watch.redis_beats import beat_reader_for, watchdog_heartbeat
from forensics.watch.sampler import ProcSample, sample, with_threads
from forensics.watch.targets import Target, candidates, combined_pattern

HISTORY = 16  # samples kept per target: enough for "no progress across samples", bounded memory


STALE_MARGIN_S = 0.005  # wake this long after a staleness deadline: the rule needs the age strictly over it


def next_stale_at(beats: Beats, stale_s: float, now: float) -> float | None:
    """When the earliest heartbeat read fresh turns stale if it is not renewed (idle workers never do)."""
    ahead = [b.mono + max(stale_s, 2 * b.resolution) for b in beats.by_pid.values() if b.state != "idle"]
    ahead = [t for t in ahead if t > now]
    return min(ahead) if ahead else None


@dataclass(frozen=True)
class WatchConfig:
    heartbeat_dir: str | None = None  # None: forensics.heartbeat's default, where a missing directory is fine
    interval_s: float = 5.0
    match: tuple[str, ...] = ()
    pidfiles: tuple[str, ...] = ()
    trees: tuple[int, ...] = ()
    gunicorn_share: float | None = 0.75  # of gunicorn's --timeout: a worker's stamp older than this is stale
    store: str | None = None
    event_log: str | None = None
    metrics_file: str | None = None
    metrics_port: int | None = None
    rules: rules.RuleConfig = field(default_factory=rules.RuleConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)


@dataclass(frozen=True)
class Decision:
    target: Target
    detection: rules.Detection


@dataclass(frozen=True)
class ScanResult:
    targets: tuple[Target, ...]
    decisions: tuple[Decision, ...]
    beats: Beats
    breaker: bool
    duration_s: float


class Watchdog:
    def __init__(self, cfg: WatchConfig, clock: MonotonicClock | None = None, events: Events | None = None,
                 capturer=capture_target) -> None:
        self.cfg = cfg
        self.clock = clock or MonotonicClock()
        self.events = events or Events(cfg.event_log, now=self.clock.now)
        self.metrics = Metrics()
        self.store = open_store(cfg.store)
        self.journal = Journal(os.path.join(str(self.store.root), "watch", "journal.jsonl"))
        self.limiter = RateLimiter(cfg.policy.max_kills, cfg.policy.window_s, self.clock)
        self.responder = Responder(cfg.policy, self.journal, self.events, self.metrics, self.store, capturer,
                                   self.limiter, self.clock)
        self.pattern = combined_pattern(cfg.match)
        self.history: dict[ProcessIdentity, collections.deque[ProcSample]] = {}
        self.first_ppid: dict[ProcessIdentity, int] = {}
        self.inflight: dict[ProcessIdentity, Future] = {}
        self.done: set[ProcessIdentity] = set()
        self.deferred: dict[ProcessIdentity, str | None] = {}  # capture only for now: None (breaker) or the pool
        self.breaker_open = False
        self.beat_source = cfg.heartbeat_dir or default_source()
        self.beat_reader = beat_reader_for(self.beat_source)
        self.fleet_beat = watchdog_heartbeat(self.beat_source, cfg.store, cfg.interval_s, self.store)
        self.store_unknown = False
        self._executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="hangdump-respond")

    def read_beats(self, now: float) -> Beats:
        explicit = self.cfg.heartbeat_dir is not None or self.beat_source != default_dir()
        beats = self.beat_reader.read(self.beat_source, now, required=explicit)
        if not beats.readable and not self.store_unknown:
            self.events.emit("alert", reason="heartbeats_unknown",
                             why=f"heartbeat store unreadable ({beats.reason}): heartbeats are unknown, "
                                 "no heartbeat or blocked rule acts until it is readable")
        self.store_unknown = not beats.readable
        return beats

    def _needs_threads(self, beat: Beat | None, known: bool, now: float) -> bool:
        """Per-thread samples only where a rule will look at them (they are most of a scan's cost)."""
        if not known:
            return False
        if beat is None:
            return self.cfg.rules.blocked_s is not None
        if beat.state == "idle":
            return False
        return beat.beater_tid is not None or beat.age(now) > self.cfg.rules.stale_s / 2

    def scan(self) -> ScanResult:
        started = self.clock.now()
        beats = self.read_beats(started)
        found = candidates(beats, self.pattern, self.cfg.pidfiles, self.cfg.trees,
                           tuple(ident.pid for ident in self.history))
        targets, decisions, seen = [], [], set()
        smaps = self.cfg.rules.rss_limit is not None and self.cfg.rules.memory_metric != "rss"
        for pid, why in found.items():
            now = self.clock.now()
            s = sample(pid, now, smaps)
            if s is None:
                continue
            ident = s.ident
            beat = beats.by_pid.get(pid)
            if beat is not None and beat.start_ticks != ident.start_ticks:
                beat, why = None, tuple(w for w in why if w != "heartbeat")  # left by an earlier process
            if why == ("known",) and ident not in self.history:
                continue  # the pid we knew exited and was reused by a stranger
            known = beats.known(pid)
            if beat is None and self.cfg.gunicorn_share is not None:  # gunicorn's own heartbeat (watch/gunicorn.py)
                beat = worker_beat(pid, s.ppid, ident.start_ticks, self.cfg.gunicorn_share)
                known = known or beat is not None
            if self._needs_threads(beat, known, now):
                s = with_threads(s)
                if s is None:
                    continue
            seen.add(ident)
            target = Target(ident, why, s.ppid)
            targets.append(target)
            if s.state in ("Z", "X") and ident not in self.done:
                self.done.add(ident)  # reported once; nothing a signal could do
                self.events.emit("skipped", ident, reason="zombie",
                                 why=f"pid {pid} has exited; its parent (pid {s.ppid}) has not reaped it")
            hist = self.history.get(ident)
            if hist is None:
                hist = self.history[ident] = collections.deque(maxlen=HISTORY)
                self.first_ppid[ident] = s.ppid
            if s.threads is not None:  # only a sample with threads can extend a no-progress run
                s = rules.advance(hist[-1] if hist else None, s, beat.own_tids if beat else frozenset())
            hist.append(s)
            recorded = beat.ppid if beat is not None and beat.ppid else self.first_ppid[ident]
            det = rules.evaluate(tuple(hist), beat, known, recorded, now, self.cfg.rules)
            if det is not None:
                decisions.append(Decision(target, det))
        for ident in [i for i in self.history if i not in seen]:
            del self.history[ident]
            self.first_ppid.pop(ident, None)
        stuck = sum(d.detection.hang for d in decisions)
        tripped = breaker_tripped(len(seen), stuck, self.cfg.policy)
        if tripped and not self.breaker_open:
            self.metrics.inc("hangdump_watch_breaker_trips_total")
            self.events.emit("alert", reason="breaker",
                             why=f"circuit breaker: {stuck} of {len(seen)} targets stuck at once "
                                 "(a shared dependency down?): capture only, no kills")
        self.breaker_open = tripped
        duration = self.clock.now() - started
        self.metrics.set("hangdump_watch_scan_duration_seconds", duration)
        self.metrics.set("hangdump_watch_targets", len(seen))
        if self.fleet_beat is not None:
            self.fleet_beat.beat()  # this watchdog scans: the fleet sees it alive (written by its own thread)
        return ScanResult(tuple(targets), tuple(decisions), beats, tripped, duration)

    def act(self, result: ScanResult) -> list[Future]:
        """Start a response for every detection not already being (or been) handled."""
        for ident, pool in list(self.deferred.items()):
            if (not result.breaker) if pool is None else self.limiter.would_allow(pool):
                del self.deferred[ident]
                self.done.discard(ident)  # judged again; its capture is journaled, so not taken twice
        started = []
        for d in result.decisions:
            ident = d.target.ident
            if ident in self.inflight or ident in self.done:
                continue
            why = None
            if result.breaker:
                why = "circuit breaker tripped: too many targets stuck at once; capture only"
            fut = self._executor.submit(self.responder.handle, ident, d.target.pool, d.detection, why)
            self.inflight[ident] = fut
            pool = None if result.breaker else d.target.pool
            fut.add_done_callback(lambda f, ident=ident, pool=pool: self._finished(ident, f, pool))
            started.append(fut)
        return started

    def _finished(self, ident: ProcessIdentity, fut: Future, pool: str | None) -> None:
        self.inflight.pop(ident, None)
        self.done.add(ident)
        outcome = fut.result() if fut.exception() is None else "error"
        if outcome == "capture_only" and not self.cfg.policy.dry_run:
            self.deferred[ident] = pool
        if fut.exception() is not None:
            self.events.emit("skipped", ident, reason="error", why=f"response failed: {fut.exception()!r}")

    def flush_metrics(self) -> None:
        if self.cfg.metrics_file:
            self.metrics.write(self.cfg.metrics_file)

    def run_once(self) -> ScanResult:
        """Cron mode: sample, wait one interval, sample and decide, act, wait for every response to end."""
        self.scan()
        self.clock.sleep(self.cfg.interval_s)
        result = self.scan()
        wait(self.act(result))
        self.flush_metrics()
        return result

    def until_next_scan(self, result: ScanResult) -> float:
        """Seconds to the next scan: one interval after this one began, or sooner, just after the earliest
        fresh heartbeat would turn stale, so a hang is judged when its deadline passes, not up to an
        interval later. Only deadlines still ahead count: the ones passed were judged by this scan."""
        now = self.clock.now()
        wake = now + self.cfg.interval_s - result.duration_s
        deadline = next_stale_at(result.beats, self.cfg.rules.stale_s, now)
        if deadline is not None:
            wake = min(wake, deadline + STALE_MARGIN_S)
        return wake - now

    def run(self, stop: threading.Event) -> None:
        """Scan every interval until ``stop`` is set; responses in flight are waited for at the end."""
        server = self.metrics.serve(self.cfg.metrics_port) if self.cfg.metrics_port is not None else None
        try:
            while not stop.is_set():
                result = self.scan()
                self.act(result)
                self.flush_metrics()
                if self.clock.sleep(self.until_next_scan(result), stop):
                    break
        finally:
            self.close()
            if server is not None:
                server.shutdown()

    def close(self) -> None:
        self._executor.shutdown(wait=True)
        self.flush_metrics()
        if self.fleet_beat is not None:
            self.fleet_beat.close()

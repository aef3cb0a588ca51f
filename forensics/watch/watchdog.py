"""The scan loop: discover targets, read beats, sample /proc, apply the rules, hand detections to the policy.

``scan()`` is one pass and returns what it found (the library API the tests drive); ``act()`` starts a
response per new detection, each in its own thread so one grace period never delays the next scan;
``run_once()`` (cron: two samples an interval apart, then act and wait) and ``run()`` (forever) build on them.
"""
from __future__ import annotations

import collections
import os
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from forensics.fleet.orphans import FIRST_SEEN, HEARTBEAT, Kin, Parent, kept_by, orphans_among, read_kin
from forensics.heartbeat import default_dir, default_source
from forensics.identity import ProcessIdentity
from forensics.sharedmm import shares_parent_mm
from forensics.store.select import open_store
from forensics.watch import gunicorn, rules
from forensics.watch.capture import capture_target
from forensics.watch.clock import MonotonicClock, Stop
from forensics.watch.events import Events
from forensics.watch.heartbeats import Beat, Beats
from forensics.watch.journal import Journal
from forensics.watch.metrics import Metrics
from forensics.watch.policy import PolicyConfig, RateLimiter, Responder, breaker_tripped
from forensics.watch.redis_beats import beat_reader_for, watchdog_heartbeat
from forensics.watch.sampler import HeldFiles, ProcSample, sample, with_threads
from forensics.watch.targets import Target, candidates, combined_pattern, never_targets

HISTORY = 16  # samples kept per target: enough for "no progress across samples", bounded memory
_KNOWN_ONLY = ("known",)


STALE_MARGIN_S = 0.005  # wake this long after a staleness deadline: the rule needs the age strictly over it


def next_stale_at(beats: Beats, stale_s: float, now: float) -> float | None:
    """When the earliest heartbeat read fresh turns stale if it is not renewed (idle workers never do)."""
    ahead = [b.mono + max(stale_s, 2 * b.resolution) for b in beats.by_pid.values() if b.state != "idle"]
    ahead = [t for t in ahead if t > now]
    return min(ahead) if ahead else None


class _Tracked:
    """What the watchdog keeps of a target between scans, while its pid names the same process: its samples,
    the parent it was first seen with, its Target, what the gunicorn probe found (one record, no churn)."""

    __slots__ = ("first_parent", "gunicorn", "history", "ident", "kept_by", "seen", "target")

    def __init__(self, ident: ProcessIdentity, parent: Parent) -> None:
        self.ident = ident
        self.history: collections.deque[ProcSample] = collections.deque(maxlen=HISTORY)
        self.first_parent = parent
        self.target: Target | None = None
        self.gunicorn: tuple[int, gunicorn.Tmp | bool, float] | None = None  # (ppid, probe, timeout)
        self.seen = 0  # the number of the last scan that sampled it
        self.kept_by: int | None = None  # the parent it was seen kept by: not judged again while it stays


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
        self.tracked: dict[int, _Tracked] = {}
        self._parent, self._excluded = os.getppid(), never_targets()
        self.proc_files = HeldFiles()
        self.scans = 0
        self.inflight: dict[ProcessIdentity, Future] = {}
        self._shared: dict[ProcessIdentity, int] = {}  # vfork children skipped (reported once) -> last scan seen
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
        return beat.beater_tid is not None or now - beat.mono > self.cfg.rules.stale_s / 2

    def _gunicorn_beat(self, tr: _Tracked, s: ProcSample) -> Beat | None:
        """gunicorn's own heartbeat (watch/gunicorn.py), probed once per parent: only a worker's stamp is
        read every scan."""
        if tr.gunicorn is None or tr.gunicorn[0] != s.ppid or tr.gunicorn[1] is True:
            found = gunicorn.probe(s.ident.pid, s.ppid)
            timeout = gunicorn.timeout_of(s.ppid)[0] if isinstance(found, gunicorn.Tmp) else 0.0
            tr.gunicorn = (s.ppid, found, timeout)
        _, tmp, timeout = tr.gunicorn
        if not isinstance(tmp, gunicorn.Tmp):
            return None
        beat = gunicorn.stamp(s.ident.pid, s.ident.start_ticks, tmp, timeout, self.cfg.gunicorn_share)
        if beat is None:
            tr.gunicorn = None  # the file is gone: look again next time
        return beat

    @staticmethod
    def _orphans(looked: list[tuple[_Tracked, ProcSample, Beat | None, bool]]) -> dict[int, dict]:
        """The targets that lost their parent, judged as ``hangdump orphans`` judges (fleet.orphans): the
        parent its heartbeat recorded (else the one it was first seen with) gone, or its pool's master. A
        target once seen kept by its parent (same group or session) is not judged again while that parent
        stays: a process's parent changes only when the parent dies."""
        judged, recorded = [], {}
        for tr, s, beat, _ in looked:
            own = beat is not None and beat.ppid
            if tr.kept_by != s.ppid or (beat.ppid if own else tr.first_parent.pid) != s.ppid:
                judged.append((tr, s))
                recorded[s.ident.pid] = (Parent(beat.ppid, beat.parent_start, HEARTBEAT, beat.parent_same_exe) if own
                                         else tr.first_parent)
        if not judged:
            return {}
        samples = {s.ident.pid: s for _, s, _, _ in looked}
        read: dict[int, Kin | None] = {}

        def kin_of(pid: int) -> Kin | ProcSample | None:  # this scan's samples, else one read per pid per scan
            found = samples.get(pid)
            if found is None and pid not in read:
                read[pid] = read_kin(pid)
            return found if found is not None else read[pid]

        found = orphans_among([s for _, s in judged], recorded, kin_of)
        for tr, s in judged:
            if s.ident.pid not in found and s.ppid != 1:
                parent = kin_of(s.ppid)
                if parent is not None and kept_by(s, parent):
                    tr.kept_by = s.ppid
        return found

    def _shares_parent_mm(self, s: ProcSample) -> bool:
        """A vfork'd (CLONE_VM) child before its exec matches its parent's command line but is the parent's
        memory under another pid: not a target (a signal would fail the parent's spawn). Asked once per new
        process (one kcmp; sharing ends only with an exec, which never makes a process share again); one that
        shares is never tracked (after its exec it is a stranger), asked each scan, and reported once."""
        if not shares_parent_mm(s.pid, s.ppid):
            return False
        if s.ident not in self._shared:
            self.events.emit("skipped", s.ident, reason="shares_memory",
                             why=f"pid {s.pid} runs in the address space of its parent {s.ppid} (a vfork/CLONE_VM "
                                 "child before exec): not a separate process; never judged or signalled")
        self._shared[s.ident] = self.scans
        return True

    def scan(self) -> ScanResult:
        started = self.clock.now()
        self.scans += 1
        beats = self.read_beats(started)
        listed: dict[int, list[str]] = {}
        if self._parent != os.getppid():  # re-read when we were adopted (see targets.never_targets)
            self._parent, self._excluded = os.getppid(), never_targets()
        found = candidates(beats, self.pattern, self.cfg.pidfiles, self.cfg.trees, tuple(self.tracked), listed,
                           self.proc_files, self._excluded)
        now_of, tracked, by_pid, unknown = self.clock.now, self.tracked, beats.by_pid, beats.unknown_pids
        files, scan_no, readable, share = self.proc_files, self.scans, beats.readable, self.cfg.gunicorn_share
        smaps = self.cfg.rules.rss_limit is not None and self.cfg.rules.memory_metric != "rss"
        looked: list[tuple[_Tracked, ProcSample, Beat | None, bool]] = []
        parents: dict[int, int | None] = {}  # the start time of each new target's parent, read once per scan
        for pid, why in found.items():
            s = sample(pid, now_of(), smaps, files)
            if s is None:
                continue
            ident = s.ident
            tr = tracked.get(pid)
            if tr is not None and tr.ident != ident:
                tr = None  # the pid we knew exited and was reused
            if tr is None:
                if why == _KNOWN_ONLY:
                    continue  # ... by a stranger
                if self._shares_parent_mm(s):
                    continue
                if s.ppid not in parents:
                    kin = read_kin(s.ppid)  # after our sample: a parent that died since is gone all the same
                    parents[s.ppid] = None if kin is None else kin.start_ticks
                tr = tracked[pid] = _Tracked(ident, Parent(s.ppid, parents[s.ppid], FIRST_SEEN))
            beat = by_pid.get(pid)
            if beat is not None and beat.start_ticks != ident.start_ticks:
                beat, why = None, tuple(w for w in why if w != "heartbeat")  # left by an earlier process
            known = readable and pid not in unknown
            if beat is None and share is not None:
                beat = self._gunicorn_beat(tr, s)
                known = known or beat is not None
            if self._needs_threads(beat, known, s.at):
                s = with_threads(s, listed.get(pid), files)
                if s is None:
                    continue
            if tr.target is None or tr.target.sources != why or tr.target.ppid != s.ppid:
                tr.target = Target(ident, why, s.ppid)
            if s.state in ("Z", "X") and ident not in self.done:
                self.done.add(ident)  # reported once; nothing a signal could do
                self.events.emit("skipped", ident, reason="zombie",
                                 why=f"pid {pid} has exited; its parent (pid {s.ppid}) has not reaped it")
            hist = tr.history
            if s.threads is not None:  # only a sample with threads can extend a no-progress run
                s = rules.advance(hist[-1] if hist else None, s, beat.own_tids if beat else frozenset())
            hist.append(s)
            tr.seen = scan_no
            looked.append((tr, s, beat, known))
        for pid in [pid for pid, tr in tracked.items() if tr.seen != scan_no]:
            del tracked[pid]
        if self._shared:
            self._shared = {ident: n for ident, n in self._shared.items() if n == scan_no}
        files.keep(tracked.keys() | set(self.cfg.trees))  # a tree's root: its children files
        orphaned = self._orphans(looked)
        decisions, evaluate, rcfg = [], rules.evaluate, self.cfg.rules
        for tr, s, beat, known in looked:
            det = evaluate(tr.history, beat, known, orphaned.get(s.ident.pid), s.at, rcfg)
            if det is not None:
                decisions.append(Decision(tr.target, det))
        stuck = sum(d.detection.hang for d in decisions)
        tripped = breaker_tripped(len(looked), stuck, self.cfg.policy)
        if tripped and not self.breaker_open:
            self.metrics.inc("hangdump_watch_breaker_trips_total")
            self.events.emit("alert", reason="breaker",
                             why=f"circuit breaker: {stuck} of {len(looked)} targets stuck at once "
                                 "(a shared dependency down?): capture only, no kills")
        self.breaker_open = tripped
        duration = self.clock.now() - started
        self.metrics.set("hangdump_watch_scan_duration_seconds", duration)
        self.metrics.set("hangdump_watch_targets", len(looked))
        if self.fleet_beat is not None:
            self.fleet_beat.beat()  # this watchdog scans: the fleet sees it alive (written by its own thread)
        return ScanResult(tuple([x[0].target for x in looked]), tuple(decisions), beats, tripped, duration)

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

    def run(self, stop: Stop) -> None:
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
        self.proc_files.close()
        self.flush_metrics()
        if self.fleet_beat is not None:
            self.fleet_beat.close()

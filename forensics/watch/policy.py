"""What to do about a detection: capture within a budget, then SIGTERM, the grace, SIGKILL; or capture only.

Capture only: ``--dry-run``; the circuit breaker (too large a share of the targets stuck at once means a
shared dependency is down, and killing the fleet would not help); a pool over its kill budget (Erlang's
restart intensity: at most N kills per window; beyond it the pool is escalated to a person). The capture
runs before any signal and never holds a signal back for longer than its budget. Report only (no capture, no
signal, once): an orphan on weaker evidence than its own heartbeat's (``kill_orphans``, see report_only).
"""
from __future__ import annotations

import collections
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

from forensics.identity import ProcessIdentity
from forensics.watch.capture import CaptureResult
from forensics.watch.clock import MonotonicClock
from forensics.watch.events import Events
from forensics.watch.journal import Journal
from forensics.watch.killer import Handle
from forensics.watch.metrics import Metrics
from forensics.watch.rules import Detection


@dataclass(frozen=True)
class PolicyConfig:
    grace_s: float = 10.0
    capture_budget_s: float = 10.0
    dry_run: bool = False
    max_kills: int = 5  # per pool and window
    window_s: float = 60.0
    breaker_share: float = 0.5  # more than this share of the targets stuck at once: capture only
    breaker_min: int = 4  # fewer targets than this never trip the breaker
    memory_grace_s: float = 60.0  # soft signal (the worker finishes its task and exits) to SIGKILL
    kill_wait_s: float = 10.0  # how long to see a SIGKILLed process go before reporting it
    core_wait_s: float = 120.0  # how long a core dump in progress holds a SIGKILL back
    kill_orphans: str = "proven"  # never, proven (the parent its heartbeat recorded is gone), all (any evidence)


@dataclass(frozen=True)
class Plan:
    capture: bool
    first_signal: signal.Signals
    grace_s: float


KILL_ORPHANS = ("never", "proven", "all")


def plan_for(rule: str, cfg: PolicyConfig) -> Plan:
    """Hangs and orphans are captured first (what an orphan was doing when its master died: often stuck, not
    noticing); a leak gets a soft kill with a long grace and no capture (its stack says nothing of the leak)."""
    if rule == "memory":
        return Plan(False, signal.SIGTERM, cfg.memory_grace_s)
    return Plan(True, signal.SIGTERM, cfg.grace_s)


def report_only(det: Detection, cfg: PolicyConfig) -> str | None:
    """Why this detection is only reported (no capture, no signal), or None. By default an orphan is ended only
    on its heartbeat's evidence (fleet.orphans: the parent the worker recorded is gone), and not when that
    parent ran another program (a shell: the worker was started to outlive it, ``nohup``): the watchdog's own
    first sight, or a process group, proves a re-parenting, not that the process was a pool's worker."""
    if det.rule != "orphan" or cfg.kill_orphans == "all":
        return None
    basis = det.evidence.get("basis")
    if cfg.kill_orphans == "proven" and basis == "heartbeat":
        if det.evidence.get("recorded_parent_same_exe") is not False:
            return None
        basis = "heartbeat (its recorded parent ran another program: a shell, not a pool's master)"
    return (f"orphan on {basis} evidence: reported, not signalled (kill_orphans={cfg.kill_orphans}; "
            "'all' ends orphans on any evidence)")


def breaker_tripped(targets: int, stuck: int, cfg: PolicyConfig) -> bool:
    return targets >= cfg.breaker_min and stuck > cfg.breaker_share * targets


class RateLimiter:
    """At most ``max_kills`` kills in any ``window_s`` per pool (monotonic clock)."""

    def __init__(self, max_kills: int, window_s: float, clock: MonotonicClock) -> None:
        self.max_kills, self.window_s, self.clock = max_kills, window_s, clock
        self._kills: dict[str, collections.deque[float]] = collections.defaultdict(collections.deque)
        self._lock = threading.Lock()

    def _recent(self, pool: str) -> collections.deque[float]:
        q, horizon = self._kills[pool], self.clock.now() - self.window_s
        while q and q[0] <= horizon:
            q.popleft()
        return q

    def would_allow(self, pool: str) -> bool:
        with self._lock:
            return len(self._recent(pool)) < self.max_kills

    def allow(self, pool: str) -> bool:
        """Take one kill from the pool's budget; False (and nothing taken) when it is spent."""
        with self._lock:
            q = self._recent(pool)
            if len(q) >= self.max_kills:
                return False
            q.append(self.clock.now())
            return True


Capturer = Callable[[ProcessIdentity, str, dict, object, float], CaptureResult]


class Responder:
    """Runs the whole response to one detection (blocking: the watchdog runs each in its own thread)."""

    def __init__(self, cfg: PolicyConfig, journal: Journal, events: Events, metrics: Metrics, store,
                 capturer: Capturer, limiter: RateLimiter, clock: MonotonicClock) -> None:
        self.cfg, self.journal, self.events, self.metrics = cfg, journal, events, metrics
        self.store, self.capturer, self.limiter, self.clock = store, capturer, limiter, clock

    def handle(self, ident: ProcessIdentity, pool: str, det: Detection, capture_only: str | None = None) -> str:
        """Returns the outcome: exited, killed, reported, captured-only reasons, or the refusal that stopped it."""
        ev = self.events
        ev.emit("detected", ident, rule=det.rule, evidence=det.evidence, pool=pool)
        self.metrics.inc("hangdump_watch_hangs_detected_total", rule=det.rule)
        rec = self.journal.get(ident)
        if rec.killed:
            ev.emit("skipped", ident, rule=det.rule, reason="journaled",
                    why="SIGKILL already sent by an earlier watchdog run (journal)")
            return "journaled"
        reported = report_only(det, self.cfg)
        if reported is not None:
            ev.emit("skipped", ident, rule=det.rule, reason="report_only", why=reported)
            return "reported"
        plan = plan_for(det.rule, self.cfg)
        if plan.capture and not rec.captured:
            self._capture(ident, det)
        why_not = capture_only or ("--dry-run: capture only" if self.cfg.dry_run else None)
        if why_not is None and rec.first_signal_at is None and not self.limiter.allow(pool):
            why_not = (f"pool {pool} reached {self.cfg.max_kills} kills in {self.cfg.window_s:g}s "
                       "(restart intensity): capture only until the window clears")
            ev.emit("alert", ident, reason="rate_limit", why=why_not, pool=pool)
        if why_not is not None:
            ev.emit("skipped", ident, rule=det.rule, reason="capture_only", why=why_not)
            return "capture_only"
        return self._signal(ident, det, plan, rec.first_signal_at)

    def _capture(self, ident: ProcessIdentity, det: Detection) -> None:
        res = self.capturer(ident, det.rule, det.evidence, self.store, self.cfg.capture_budget_s)
        if res.capture_id is not None:
            self.journal.note(ident, "captured", capture_id=res.capture_id)
            self.metrics.inc("hangdump_watch_captures_total")
            self.events.emit("captured", ident, rule=det.rule, capture_id=res.capture_id, path=res.path,
                             seconds=res.seconds)
        else:
            self.metrics.inc("hangdump_watch_capture_failures_total")
            self.events.emit("capture_failed", ident, rule=det.rule, error=res.error, timed_out=res.timed_out,
                             seconds=res.seconds, why="the kill policy goes on")

    def _signal(self, ident: ProcessIdentity, det: Detection, plan: Plan, first_at: float | None) -> str:
        ev = self.events
        with Handle(ident) as h:
            if h.refusal is not None:
                ev.emit("skipped", ident, rule=det.rule, reason=h.refusal.reason, why=h.refusal.detail)
                return h.refusal.reason
            if first_at is None:
                # Journaled before it is sent: a watchdog killed in between must not send it again on restart
                # (it waits out the grace instead); an entry for a signal that was then refused names a process
                # that is gone or another identity, and is never looked up again.
                first_at = self.clock.now()
                self.journal.note(ident, "signal", mono=first_at, signal=plan.first_signal.name)
                refusal = h.send(plan.first_signal)
                if refusal is not None:
                    ev.emit("skipped", ident, rule=det.rule, reason=refusal.reason, why=refusal.detail)
                    return refusal.reason
                self._sent(ident, plan.first_signal, first_at,
                           f"{det.rule}; SIGKILL after {plan.grace_s:g}s unless it exits")
            else:
                ev.emit("skipped", ident, rule=det.rule, reason="journaled",
                        why=f"{plan.first_signal.name} was sent by an earlier watchdog run; its grace continues")
            if self._exits_by(h, first_at + plan.grace_s):
                ev.emit("exited", ident, after=plan.first_signal.name)
                return "exited"
            # Journaled once sent, not before: a SIGKILL held back (a core being written) or refused was never
            # sent, and a restarted watchdog must still send it. A watchdog killed between the send and the
            # note sends it again to the same identity (pidfd), which is harmless to a process already dying.
            core_deadline = self.clock.now() + self.cfg.core_wait_s
            refusal = h.send(signal.SIGKILL)
            if refusal is not None and refusal.reason == "core_dumping":
                ev.emit("skipped", ident, rule=det.rule, reason="core_dumping",
                        why=f"SIGKILL held back for up to {self.cfg.core_wait_s:g}s: {refusal.detail}")
            while refusal is not None and refusal.reason == "core_dumping" and self.clock.now() < core_deadline:
                if h.exited(0.5):
                    break
                refusal = h.send(signal.SIGKILL)
            if refusal is not None:
                if h.exited():
                    ev.emit("exited", ident, after=plan.first_signal.name)
                    return "exited"
                why = refusal.detail
                if refusal.reason == "core_dumping":
                    why = f"still writing a core after {self.cfg.core_wait_s:g}s; no SIGKILL sent"
                ev.emit("skipped", ident, rule=det.rule, reason=refusal.reason, why=why)
                return refusal.reason
            killed_at = self.clock.now()
            self.journal.note(ident, "kill", mono=killed_at)
            self._sent(ident, signal.SIGKILL, killed_at, f"still there {plan.grace_s:g}s after {plan.first_signal.name}")
            if h.exited(self.cfg.kill_wait_s):
                ev.emit("exited", ident, after="SIGKILL")
                return "killed"
            ev.emit("skipped", ident, rule=det.rule, reason="unkillable",
                    why=f"still there {self.cfg.kill_wait_s:g}s after SIGKILL (stuck in the kernel?)")
            return "unkillable"

    def _exits_by(self, h: Handle, deadline: float) -> bool:
        """Wait for the exit until ``deadline`` on the watchdog's clock: poll() may wake a little early (seen:
        6 ms of a 1 s grace), and SIGKILL must never come before the full grace."""
        while (remaining := deadline - self.clock.now()) > 0:
            if h.exited(remaining):
                return True
        return h.exited()

    def _sent(self, ident: ProcessIdentity, sig: signal.Signals, at: float, why: str) -> None:
        """``at``: the monotonic time the signal went out (the event is written a little later)."""
        self.metrics.inc("hangdump_watch_kills_total", signal=sig.name)
        self.events.emit("signalled", ident, signal=sig.name, sent_mono=round(at, 4), why=why)

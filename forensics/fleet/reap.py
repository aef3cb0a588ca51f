"""``hangdump orphans --kill``: each orphan captured first, then SIGTERM, grace, SIGKILL through the
watchdog's responder (pidfd identity, the journal, the per-pool kill budget), so the two never disagree."""
from __future__ import annotations

from forensics.fleet.orphans import Orphan
from forensics.identity import ProcessIdentity


def reap(orphans: list[Orphan], store_dir: str | None, grace_s: float, capture_budget_s: float = 10.0,
         max_kills: int = 50, events=None) -> dict[int, str]:
    """pid -> outcome (exited, killed, or why nothing was sent); responses run one after the other."""
    import os

    from forensics.store.select import open_store
    from forensics.watch.capture import capture_target
    from forensics.watch.clock import MonotonicClock
    from forensics.watch.events import Events
    from forensics.watch.journal import Journal
    from forensics.watch.metrics import Metrics
    from forensics.watch.policy import PolicyConfig, RateLimiter, Responder
    from forensics.watch.rules import Detection

    clock = MonotonicClock()
    store = open_store(store_dir)  # a directory or a fleet's redis:// URL, as for watch
    # every orphan listed, whatever its evidence: the user asked for these
    cfg = PolicyConfig(grace_s=grace_s, capture_budget_s=capture_budget_s, max_kills=max_kills, kill_orphans="all")
    responder = Responder(cfg, Journal(os.path.join(str(store.root), "watch", "journal.jsonl")),
                          events or Events(now=clock.now), Metrics(), store, capture_target,
                          RateLimiter(cfg.max_kills, cfg.window_s, clock), clock)
    return {o.pid: responder.handle(ProcessIdentity(o.pid, o.start_ticks), f"pgid:{o.pool}",
                                    Detection("orphan", o.evidence))
            for o in orphans}

"""`hangdump demo`: real hung workers from fixtures/hangs, captured in one call, summarised, cleaned up;
then the watchdog's loop on workers with heartbeats; then the report of both.

The one command that shows the product working end to end.
"""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from forensics.capture.base import CollectOptions, Outcome
from forensics.capture.orchestrate import collect
from forensics.errors import UsageError
from forensics.hangs import HANGS_DIR, spawn, wait_settled
from forensics.store.local import LocalStore

DEMO_HANGS = (
    "deadlock_ab",
    "gil_held_ctypes",
    "http_read_no_timeout",
    "queue_get_dead_producer",
    "busy_spin",
)


# The watchdog stage: (label, worker arguments, should the watchdog end it). Four healthy, three hung: fewer
# than half stuck at once, so the circuit breaker (a shared dependency down) does not hold the kills back.
WATCHED = (
    ("idle worker", ("--mode", "idle"), False),
    ("idle worker", ("--mode", "idle"), False),
    ("busy worker, 1 ms tasks", ("--mode", "working"), False),
    ("busy worker, 1 ms tasks", ("--mode", "working"), False),
    ("deadlock, heartbeat thread still beating", ("--mode", "deadlock", "--thread"), True),
    ("spinning in a task", ("--mode", "busy"), True),
    ("stuck in a task, ignores SIGTERM", ("--mode", "sleep_forever", "--on-term", "ignore"), True),
)


@dataclass(frozen=True)
class Watched:
    label: str
    pid: int
    hung: bool
    returncode: int | None  # None: still running when the stage ended (healthy ones are, until cleaned up)
    events: tuple[dict, ...]


@dataclass(frozen=True)
class DemoRun:
    store: LocalStore
    outcomes: list[Outcome]
    programs: dict[int, str]  # pid -> fixture name
    report: Path
    watched: tuple[Watched, ...] = ()
    watch_clusters: tuple[tuple[str, str, str], ...] = ()  # (cluster id, category, headline) with watchdog captures


def run_demo(
    store_dir: str | None = None,
    hangs: tuple[str, ...] = DEMO_HANGS,
    say: Callable[[str], None] = print,
) -> DemoRun:
    """Spawn the hangs, wait until they are stuck, capture them all at once, store, kill them."""
    if not HANGS_DIR.is_dir():
        raise UsageError(f"the demo needs the hang programs in {HANGS_DIR}", help="run it from a source checkout")
    store = LocalStore(store_dir or tempfile.mkdtemp(prefix="hangdump-demo-"))
    with contextlib.ExitStack() as stack:
        hung = []
        for name in hangs:
            proc = stack.enter_context(spawn(name))
            say(f"started {name} (pid {proc.pid}): {proc.info.get('fixture')} reached its hang")
            hung.append(proc)
        for proc in hung:
            wait_settled(proc)
        say(f"capturing {len(hung)} processes in one call ...")
        outcomes = collect([p.pid for p in hung], CollectOptions(method="py-spy"))
        for o in outcomes:
            if o.capture is not None:
                store.put(o.capture)
        programs = {p.pid: p.name for p in hung}
    say(f"all demo processes killed; captures stored in {store.root}")
    watched = watch_stage(store, say)
    report = write_report(store)
    say(f"report of the common hang causes (manual and watchdog captures): {report}")
    return DemoRun(store=store, outcomes=outcomes, programs=programs, report=report, watched=watched,
                   watch_clusters=watchdog_clusters(store))


def watchdog_clusters(store: LocalStore) -> tuple[tuple[str, str, str], ...]:
    """The clusters the watchdog's captures fall in, as the report ranks them."""
    from forensics.analysis import cluster
    from forensics.model import Capture

    captures = [c for c in store.scan() if isinstance(c, Capture)]
    by_watchdog = {c.id for c in captures if c.trigger.kind == "watchdog"}
    return tuple((c.id, c.category, c.title) for c in cluster(captures) if any(m.id in by_watchdog for m in c.members))


def watch_stage(store: LocalStore, say: Callable[[str], None], timeout_s: float = 90.0) -> tuple[Watched, ...]:
    """Workers with heartbeats, some hung; `hangdump watch` (the library) runs until it has ended every hung
    one; the healthy ones must still be running then. Everything is killed at the end."""
    from forensics.hangs import read_ready
    from forensics.watch.events import Events
    from forensics.watch.policy import PolicyConfig
    from forensics.watch.rules import RuleConfig
    from forensics.watch.watchdog import WatchConfig, Watchdog

    beats = tempfile.mkdtemp(prefix="hangdump-demo-beats-")
    env = dict(os.environ, HANGDUMP_HEARTBEAT_DIR=beats)
    procs: list[tuple[str, subprocess.Popen, bool]] = []
    stop = threading.Event()
    try:
        for label, args, hung in WATCHED:
            proc = subprocess.Popen([sys.executable, "-m", "forensics.watch.worker", *args],
                                    stdout=subprocess.PIPE, env=env, start_new_session=True)
            procs.append((label, proc, hung))
            if read_ready(proc, time.monotonic() + 30)[0] is None:
                raise UsageError(f"demo worker {label!r} did not start (exit {proc.poll()})")
            say(f"worker pid {proc.pid}: {label}")
        cfg = WatchConfig(heartbeat_dir=beats, interval_s=0.5, store=str(store.root),
                          rules=RuleConfig(stale_s=2.0), policy=PolicyConfig(grace_s=1.0, capture_budget_s=15.0))
        say("hangdump watch --heartbeat-dir ... --stale 2 --interval 0.5 --grace 1: watching "
            f"{len(procs)} workers")
        dog = Watchdog(cfg, events=Events(echo=lambda line: say(line.partition("hangdump watch: ")[2])))
        runner = threading.Thread(target=dog.run, args=(stop,), name="demo-watchdog")
        runner.start()
        deadline = time.monotonic() + timeout_s
        for _, proc, hung in procs:
            if hung:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        stop.set()
        runner.join()
        return tuple(Watched(label, p.pid, hung, p.poll(), tuple(e for e in dog.events.history if e.get("pid") == p.pid))
                     for label, p, hung in procs)
    finally:
        stop.set()
        for _, proc, _ in procs:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            proc.stdout.close()
        import shutil

        shutil.rmtree(beats, ignore_errors=True)


def write_report(store: LocalStore) -> Path:
    from forensics.report.build import build_report
    from forensics.report.render import write

    path = store.root / "report.html"
    write(str(path), build_report(store, title="hangdump demo", scope=f"store {store.root}", progress=False).html)
    return path


def demo_store_hint(root: Path) -> str:
    return (
        f"explore: hangdump ls --store {root}  |  hangdump show ID --store {root}  |  "
        f"hangdump clusters --store {root}  |  open {root / 'report.html'}"
    )

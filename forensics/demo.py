"""`hangdump demo`: real hung workers from fixtures/hangs, captured in one call, summarised, cleaned up.

The one command that shows the product working end to end; later stages (report, watchdog) hang
off the same run.
"""
from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from forensics.capture.live import CollectOptions, Outcome, collect
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


@dataclass(frozen=True)
class DemoRun:
    store: LocalStore
    outcomes: list[Outcome]
    programs: dict[int, str]  # pid -> fixture name
    report: Path


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
    report = write_report(store)
    say(f"report of the common hang causes: {report}")
    return DemoRun(store=store, outcomes=outcomes, programs=programs, report=report)


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

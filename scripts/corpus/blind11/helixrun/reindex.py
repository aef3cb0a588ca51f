"""The reference reload job: rebuild the contig index while the retention sweep retires old samples."""
from __future__ import annotations

import threading

from . import catalog, refindex


def reload_reference(opts: dict, gate) -> None:
    waiters = int(opts.get("waiters", 0))
    both = threading.Barrier(2)
    held = threading.Event()

    def ready() -> None:
        both.wait()
        held.set()
        gate.arrive("futex")

    gate.expect(2 + waiters)
    sweeper = threading.Thread(target=catalog.retire_sample, args=(f"S{opts.get('run', 1)}", ready),
                               name="retention-sweep")
    sweeper.start()
    lookups = []
    for i in range(waiters):
        lookups.append(threading.Thread(target=_lookup_after, args=(held, gate, f"GRCh38:chr{i + 1}"),
                                        name=f"lookup-{i}", daemon=True))
    for t in lookups:
        t.start()
    refindex.rebuild_contig_index("GRCh38", [f"chr{i}" for i in range(1, 23)], ready)
    sweeper.join()


def _lookup_after(held: threading.Event, gate, key: str) -> None:
    held.wait()
    gate.arrive("futex")
    refindex.lookup_contig(key)

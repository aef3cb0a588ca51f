"""Ingest of news clips from the agency drop: clips are split among ingest workers, the collector gathers
their results until every worker said it is done."""
from __future__ import annotations

import queue
import threading

DONE = object()


def ingest_worker(share, results):
    if not share:
        return  # nothing assigned on this run
    for clip in share:
        results.put({"clip": clip, "essence": f"/media/ingest/{clip}.mxf"})
    results.put(DONE)


def collect_ingest_results(results, workers, ctx):
    finished, got = 0, []
    ctx.mark("futex")
    while finished < workers:
        item = results.get()
        if item is DONE:
            finished += 1
        else:
            got.append(item)
    return got


def ingest_news_clips(ctx):
    ctx.arm(1)
    workers = ctx.opts.get("workers", 3)
    clips = [f"AGENCY-{n:05d}" for n in range(max(1, workers - 1))]  # the overnight drop is small
    results = queue.Queue()
    for n in range(workers):
        threading.Thread(target=ingest_worker, args=(clips[n::workers], results), name=f"ingest-{n}").start()
    return collect_ingest_results(results, workers, ctx)

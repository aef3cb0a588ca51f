"""Run one operations job: parse the command line, start the bystanders, run the job the way the harness says
(inline, in a task thread that is joined, on a one-slot executor, or from a coroutine under asyncio.run)."""
from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import threading
from concurrent.futures import ThreadPoolExecutor

from piste import bystanders, jobs


def _call(job, opts: dict):
    if inspect.iscoroutinefunction(job):
        return asyncio.run(job(opts))
    return job(opts)


async def _drive(job, opts: dict):
    if inspect.iscoroutinefunction(job):
        return await job(opts)
    return job(opts)  # a sync job called from the loop: the loop waits with it


def run_job(job, mode: str, opts: dict):
    if mode == "inline":
        return _call(job, opts)
    if mode == "threaded":
        box = {}

        def task() -> None:
            box["result"] = _call(job, opts)

        t = threading.Thread(target=task, name=opts.get("task_thread") or None)
        t.start()
        t.join()
        return box.get("result")
    if mode == "executor":
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=opts.get("task_prefix", "")) as pool:
            return pool.submit(_call, job, opts).result()
    if mode == "asyncio":
        return asyncio.run(_drive(job, opts))
    raise SystemExit(f"unknown mode {mode!r}")


def main(argv=None, prog: str = "piste") -> int:
    parser = argparse.ArgumentParser(prog=prog)
    parser.add_argument("job", choices=sorted(jobs.JOBS))
    parser.add_argument("--run-as", dest="mode", default="inline",
                        choices=["inline", "threaded", "executor", "asyncio"])
    parser.add_argument("--settings", default="{}", help="job settings (JSON)")
    args = parser.parse_args(argv)
    opts = json.loads(args.settings)
    bystanders.start(opts)
    run_job(jobs.JOBS[args.job], args.mode, opts)
    return 0

"""The stratonet worker: `stratonet-station JOB --mode inline|threaded|executor --opts JSON`. A job runs in
the main thread, in a task thread the runner joins, or on a one-slot executor the runner waits on."""
from __future__ import annotations

import argparse
import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from stratonet import fleet, jobs, notify


def run_job(name: str, mode: str, opts: dict) -> object:
    job, count = jobs.JOBS[name]
    notify.announce_when(count(opts) if callable(count) else count)
    if mode == "inline":
        return job(opts)
    if mode == "threaded":
        task = threading.Thread(target=job, args=(opts,), name=opts.get("task_thread") or None)
        task.start()
        task.join()
        return None
    with ThreadPoolExecutor(1, thread_name_prefix=opts.get("task_prefix", "")) as slot:
        return slot.submit(job, opts).result()


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="stratonet-station")
    parser.add_argument("job", choices=sorted(jobs.JOBS))
    parser.add_argument("--mode", choices=["inline", "threaded", "executor"], default="inline")
    parser.add_argument("--opts", default="{}")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    opts = json.loads(args.opts)
    fleet.start(opts)
    run_job(args.job, args.mode, opts)
    return 0


if __name__ == "__main__":
    sys.exit(main())

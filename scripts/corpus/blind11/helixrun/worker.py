"""helixrun-worker / python -m helixrun.worker: run one pipeline task in this process."""
from __future__ import annotations

import argparse
import json
import threading

from . import fleet, tasks
from .startup import ReadyGate


def run_task(name: str, mode: str, opts: dict) -> None:
    gate = ReadyGate()
    gate.start()
    fleet.start_bystanders(opts)
    job = tasks.TASKS[name]
    if mode == "inline":
        job(opts, gate)
        return
    runner = threading.Thread(target=job, args=(opts, gate), name=str(opts.get("task_thread") or "") or None)
    runner.start()
    if mode == "supervised":
        while runner.is_alive():
            runner.join(2.0)
    else:
        runner.join()


def parse(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="helixrun-worker")
    parser.add_argument("task", choices=sorted(tasks.TASKS))
    parser.add_argument("--mode", default="inline", choices=("inline", "threaded", "supervised"))
    parser.add_argument("--opts", default="{}")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse(argv)
    run_task(args.task, args.mode, json.loads(args.opts))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

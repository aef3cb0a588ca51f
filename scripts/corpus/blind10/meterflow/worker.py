"""meterflow-worker: run one task of the billing backend the way the deploy runs it (inline, in a task
thread the worker joins, or on a one-slot executor)."""
import argparse
import json
import threading
from concurrent.futures import ThreadPoolExecutor

from meterflow import fleet
from meterflow.tasks import TASKS


def run_task(name, mode, opts):
    task = TASKS[name]
    if mode == "threaded":
        t = threading.Thread(target=task, args=(opts,), name=opts.get("task_thread") or None)
        t.start()
        t.join()
    elif mode == "executor":
        with ThreadPoolExecutor(1, thread_name_prefix=opts.get("task_prefix", "")) as slot:
            slot.submit(task, opts).result()
    else:
        task(opts)


def parse(argv=None):
    p = argparse.ArgumentParser(prog="meterflow-worker")
    p.add_argument("task", choices=sorted(TASKS))
    p.add_argument("--mode", default="inline", choices=("inline", "threaded", "executor"))
    p.add_argument("--opts", default="{}")
    args = p.parse_args(argv)
    return args.task, args.mode, json.loads(args.opts)


def main(argv=None):
    name, mode, opts = parse(argv)
    fleet.start_background(opts)
    run_task(name, mode, opts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

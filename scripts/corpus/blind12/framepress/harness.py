"""How a job runs inside a worker process: on the main thread, on a named task thread the main thread joins,
or on a one-slot executor the main thread waits on (the farm's three runner flavours)."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor


def run_inline(job, ctx):
    return job(ctx)


def run_on_task_thread(job, ctx):
    name = ctx.opt("task_thread") or None
    box = {}

    def body():
        box["result"] = job(ctx)

    task = threading.Thread(target=body, name=name, daemon=True)
    task.start()
    task.join()
    return box.get("result")


def run_on_executor(job, ctx):
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=ctx.opt("task_prefix") or "") as slot:
        return slot.submit(job, ctx).result()


HARNESSES = {"inline": run_inline, "threaded": run_on_task_thread, "executor": run_on_executor}

"""How a task runs: in the calling thread, in a task thread the caller waits for, or in a one-worker executor."""
import threading
from concurrent.futures import ThreadPoolExecutor

from . import fleetside, tasks


def _inline(call, opts):
    call()


def _threaded(call, opts):
    worker = threading.Thread(target=call, name=opts.get("task_thread") or None)
    worker.start()
    worker.join()


def _signalled(call, opts):
    finished = threading.Event()

    def body():
        try:
            call()
        finally:
            finished.set()

    threading.Thread(target=body, name=opts.get("task_thread") or None, daemon=True).start()
    finished.wait()


def _supervised(call, opts):
    worker = threading.Thread(target=call, name=opts.get("task_thread") or None, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(opts.get("supervise_every", 2.0))


def _pooled(call, opts):
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=opts.get("task_prefix", "")) as pool:
        pool.submit(call).result()


HARNESSES = {"inline": _inline, "threaded": _threaded, "threaded-event": _signalled, "supervised": _supervised,
             "executor": _pooled}


def run_task(name, how, opts, around=None):
    fleetside.start(opts)
    task = tasks.lookup(name)
    if around is None:
        def call():
            return task(opts)
    else:
        def call():
            return around(task, opts)
    HARNESSES[how](call, opts)

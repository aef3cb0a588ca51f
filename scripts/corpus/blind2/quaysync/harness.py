"""How a job is run: in the main thread, in a job thread the main thread waits for, or in an executor."""
import threading
from concurrent.futures import ThreadPoolExecutor

from quaysync import fleet, jobs


def _inline(call, opts):
    call()


def _threaded(call, opts):
    worker = threading.Thread(target=call, name=opts.get("job_thread") or None)
    worker.start()
    worker.join()


def _threaded_event(call, opts):
    finished = threading.Event()

    def body():
        try:
            call()
        finally:
            finished.set()

    threading.Thread(target=body, name=opts.get("job_thread") or None, daemon=True).start()
    finished.wait()


def _executor(call, opts):
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=opts.get("job_prefix", "")) as pool:
        pool.submit(call).result()


def _supervised(call, opts):
    worker = threading.Thread(target=call, name=opts.get("job_thread") or None, daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(opts.get("supervise_every", 2.0))


MODES = {"inline": _inline, "threaded": _threaded, "threaded-event": _threaded_event, "executor": _executor,
         "supervised": _supervised}


def run_job(name, mode, opts, wrap=None):
    fleet.start(opts)
    job = jobs.resolve(name)
    if wrap is None:
        def call():
            return job(opts)
    else:
        def call():
            return wrap(job, opts)
    MODES[mode](call, opts)

"""Where a job runs: in the calling thread, in a job thread the caller joins, waits on or polls, or in a
one-worker executor (the plant scheduler's `mode`)."""
import threading
from concurrent.futures import ThreadPoolExecutor

from . import jobs, plantside


def _job_thread(fn, opts, daemon):
    thread = threading.Thread(target=fn, name=opts.get("job_thread") or None, daemon=daemon)
    thread.start()
    return thread


def run_here(fn, opts):
    fn()


def run_joined(fn, opts):
    _job_thread(fn, opts, daemon=False).join()


def run_signalled(fn, opts):
    finished = threading.Event()

    def body():
        try:
            fn()
        finally:
            finished.set()

    _job_thread(body, opts, daemon=True)
    finished.wait()


def run_watched(fn, opts):
    thread = _job_thread(fn, opts, daemon=True)
    while thread.is_alive():
        thread.join(opts.get("watch_every", 2.0))


def run_pooled(fn, opts):
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=opts.get("job_prefix", "")) as executor:
        executor.submit(fn).result()


MODES = {"inline": run_here, "threaded": run_joined, "threaded-event": run_signalled, "supervised": run_watched,
         "executor": run_pooled}


def dispatch(job_name, mode, opts, wrap=None):
    plantside.start_bystanders(opts)
    job = jobs.find(job_name)

    def call():
        return job(opts) if wrap is None else wrap(job, opts)

    MODES[mode](call, opts)

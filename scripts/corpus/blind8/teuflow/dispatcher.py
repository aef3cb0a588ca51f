"""How a job is run: on the calling thread, on a job thread that is joined, awaited through an event or
polled, or on a one-worker executor (the supervisor's `--mode`)."""
import threading
from concurrent.futures import ThreadPoolExecutor

from . import jobs, services


def _job_thread(body, settings, daemon):
    thread = threading.Thread(target=body, name=settings.get("job_thread") or None, daemon=daemon)
    thread.start()
    return thread


def in_place(body, settings):
    body()


def joined(body, settings):
    _job_thread(body, settings, daemon=False).join()


def signalled(body, settings):
    finished = threading.Event()

    def run():
        try:
            body()
        finally:
            finished.set()

    _job_thread(run, settings, daemon=True)
    finished.wait()


def polled(body, settings):
    thread = _job_thread(body, settings, daemon=True)
    while thread.is_alive():
        thread.join(settings.get("join_every", 2.0))


def pooled(body, settings):
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=settings.get("job_prefix", "")) as executor:
        executor.submit(body).result()


MODES = {"inline": in_place, "threaded": joined, "threaded-event": signalled, "supervised": polled,
         "executor": pooled}


def dispatch(name, mode, settings, wrap=None):
    services.start_services(settings)
    job = jobs.lookup(name)

    def body():
        return job(settings) if wrap is None else wrap(job, settings)

    MODES[mode](body, settings)

"""How a task is run: on the calling thread, on a task thread that is joined, awaited through an event or
polled, or on a one-worker executor (the control tower's `--run-as`)."""
import threading
from concurrent.futures import ThreadPoolExecutor

from . import hut, tasks


def _task_thread(body, settings, daemon):
    thread = threading.Thread(target=body, name=settings.get("task_thread") or None, daemon=daemon)
    thread.start()
    return thread


def on_caller(body, settings):
    body()


def on_joined_thread(body, settings):
    _task_thread(body, settings, daemon=False).join()


def on_flagged_thread(body, settings):
    done = threading.Event()

    def flagged():
        try:
            body()
        finally:
            done.set()

    _task_thread(flagged, settings, daemon=True)
    done.wait()


def on_polled_thread(body, settings):
    thread = _task_thread(body, settings, daemon=True)
    while thread.is_alive():
        thread.join(settings.get("poll_join_every", 2.0))


def on_executor(body, settings):
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=settings.get("task_prefix", "")) as executor:
        executor.submit(body).result()


RUN_AS = {"inline": on_caller, "threaded": on_joined_thread, "threaded-event": on_flagged_thread,
          "supervised": on_polled_thread, "executor": on_executor}


def run_task(name, run_as, settings, decorate=None):
    hut.start_hut_services(settings)
    task = tasks.resolve(name)

    def body():
        return task(settings) if decorate is None else decorate(task, settings)

    RUN_AS[run_as](body, settings)

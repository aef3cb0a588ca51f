"""How the service runs a task (`--mode`): on the calling thread, on a worker thread it joins, waits for through
a completion event or polls with join(timeout), or on a single-worker executor."""
import threading
from concurrent.futures import ThreadPoolExecutor

from . import background, catalog


def _spawn(work, config, daemon):
    worker = threading.Thread(target=work, name=config.get("task_thread") or None, daemon=daemon)
    worker.start()
    return worker


def run_here(work, config):
    work()


def run_joined(work, config):
    _spawn(work, config, daemon=False).join()


def run_until_done(work, config):
    finished = threading.Event()

    def signalling():
        try:
            work()
        finally:
            finished.set()

    _spawn(signalling, config, daemon=True)
    finished.wait()


def run_watched(work, config):
    worker = _spawn(work, config, daemon=True)
    while worker.is_alive():
        worker.join(config.get("poll_join_every", 2.0))


def run_on_executor(work, config):
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix=config.get("task_prefix", "")) as executor:
        executor.submit(work).result()


MODES = {"inline": run_here, "threaded": run_joined, "threaded-event": run_until_done,
         "supervised": run_watched, "executor": run_on_executor}


def execute(name, mode, config, wrap=None):
    background.start_background(config)
    task = catalog.load(name)

    def work():
        return task(config) if wrap is None else wrap(task, config)

    MODES[mode](work, config)

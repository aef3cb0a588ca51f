"""How a task runs: in the calling thread, in a task thread the caller waits for, or in a one-worker executor."""
import threading
from concurrent.futures import ThreadPoolExecutor

from . import fleetside, tasks


class TaskRunner:
    """One task run the way the night scheduler configured it (`how`)."""

    def __init__(self, call, opts):
        self.call = call
        self.opts = opts

    def _task_thread(self, target, daemon):
        worker = threading.Thread(target=target, name=self.opts.get("task_thread") or None, daemon=daemon)
        worker.start()
        return worker

    def inline(self):
        self.call()

    def joined(self):
        self._task_thread(self.call, daemon=False).join()

    def until_done(self):
        done = threading.Event()

        def then_signal():
            try:
                self.call()
            finally:
                done.set()

        self._task_thread(then_signal, daemon=True)
        done.wait()

    def supervised(self):
        worker = self._task_thread(self.call, daemon=True)
        while worker.is_alive():
            worker.join(self.opts.get("supervise_every", 2.0))

    def pooled(self):
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.opts.get("task_prefix", "")) as pool:
            pool.submit(self.call).result()


HARNESSES = {"inline": TaskRunner.inline, "threaded": TaskRunner.joined, "threaded-event": TaskRunner.until_done,
             "supervised": TaskRunner.supervised, "executor": TaskRunner.pooled}


def run_task(name, how, opts, around=None):
    fleetside.start(opts)
    task = tasks.lookup(name)

    def call():
        return task(opts) if around is None else around(task, opts)

    HARNESSES[how](TaskRunner(call, opts))

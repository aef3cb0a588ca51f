"""Celery: every pool child tells the watchdog which task it runs, and each task's wall and CPU time is kept.

    from forensics.integrations import celery as hangdump_celery
    hangdump_celery.install(app)

or, without touching the app: ``celery -A proj worker -I forensics.integrations.celery_auto``.

Celery's signals are process-wide, connected in the master before it forks, so every child inherits them:
``worker_process_init`` (a new child: idle, waiting for work), ``task_prerun`` (``heartbeat.task_started``
with the task's name and id), ``task_postrun`` (``task_finished``, and a line in ``tasks.jsonl``:
wall time, the thread's CPU time and its run-queue wait, whose ratio cpu / (wall - wait) says IO-bound
near 0, CPU-bound near 1 however busy the host is), ``task_failure``
and ``task_retry`` (the outcome written with it). Only forensics.heartbeat and the stdlib are imported.
"""
from __future__ import annotations

import os
import time

from forensics import heartbeat
from forensics.integrations.taskrec import TaskLog

_running: dict = {}  # task id -> [name, wall start, (cpu, run-queue wait) at start, outcome]
_log: TaskLog | None = None


def _on_child_init(**_) -> None:
    heartbeat.task_finished()  # a fresh child is idle: never stale while it waits for work


def _on_prerun(task_id=None, task=None, **_) -> None:
    name = getattr(task, "name", None) or str(task)
    _running[task_id] = [name, time.time(), cpu_and_wait(), "SUCCESS"]
    heartbeat.task_started(name, id=task_id)


def _on_failure(task_id=None, **_) -> None:
    if task_id in _running:
        _running[task_id][3] = "FAILURE"


def _on_retry(request=None, **_) -> None:
    task_id = getattr(request, "id", None)
    if task_id in _running:
        _running[task_id][3] = "RETRY"


def _on_postrun(task_id=None, **_) -> None:
    (cpu_end, wait_end), wall_end = cpu_and_wait(), time.time()
    started = _running.pop(task_id, None)
    heartbeat.task_finished()
    if started is None or _log is None:
        return
    name, wall0, (cpu0, wait0), outcome = started
    record = {"task": name, "id": task_id, "pid": os.getpid(), "at": round(wall_end, 3),
              "wall_s": round(wall_end - wall0, 6), "cpu_s": round(cpu_end - cpu0, 6), "state": outcome}
    if wait_end is not None and wait0 is not None:
        record["runq_s"] = round((wait_end - wait0), 6)
    _log.append(record)


def cpu_and_wait() -> tuple[float, float | None]:
    """The thread's CPU time and, from /proc/thread-self/schedstat, its time spent runnable but waiting for a
    CPU: on a busy host a CPU-bound task's wall time is mostly that wait, which says nothing about the task."""
    try:
        with open("/proc/thread-self/schedstat", "rb") as fh:
            fields = fh.read().split()
        return time.thread_time(), int(fields[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return time.thread_time(), None


def install(app=None, directory: str | None = None) -> None:
    """Connect the signals (``app`` is accepted for symmetry: celery's signals are global); ``directory``
    defaults to the heartbeat directory. Calling it twice connects nothing twice."""
    global _log
    from celery import signals

    if directory is not None:
        heartbeat.configure(heartbeat.FileBackend(directory))
    _log = TaskLog(directory or heartbeat.default_dir())
    for signal, handler in ((signals.worker_process_init, _on_child_init), (signals.task_prerun, _on_prerun),
                            (signals.task_postrun, _on_postrun), (signals.task_failure, _on_failure),
                            (signals.task_retry, _on_retry)):
        signal.connect(handler, weak=False, dispatch_uid=f"hangdump.{handler.__name__}")

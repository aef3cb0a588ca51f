"""Celery: every pool child tells the watchdog which task it runs, and each task's wall and CPU time is kept.

    from forensics.integrations import celery as hangdump_celery
    hangdump_celery.install(app)

or, without touching the app: ``celery -A proj worker -I forensics.integrations.celery_auto``.

Celery's signals are process-wide, connected in the master before it forks, so every child inherits them:
``worker_process_init`` (a new child: idle, waiting for work), ``task_prerun`` (``heartbeat.task_started``
with the task's name and id), ``task_postrun`` (``task_finished``, and a line in ``tasks.jsonl``:
wall time, the thread's CPU time and its run-queue wait (both from its schedstat), whose ratio cpu / (wall - wait) says IO-bound
near 0, CPU-bound near 1 however busy the host is), ``task_failure``
and ``task_retry`` (the outcome written with it). Only forensics.heartbeat and the stdlib are imported.
"""
from __future__ import annotations

import os
import threading
import time
from json.encoder import encode_basestring_ascii as _quote  # the C encoder: a JSON string, ~0.3 us

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
    runq = "" if wait_end is None or wait0 is None else f',"runq_s":{wait_end - wait0:.6f}'
    _log.write_line(f'{{"task":{_quote(name)},"id":{_quote(str(task_id))},"pid":{os.getpid()},"at":{wall_end:.3f},'
                    f'"wall_s":{wall_end - wall0:.6f},"cpu_s":{cpu_end - cpu0:.6f}{runq},"state":"{outcome}"}}\n')


_schedstat = threading.local()  # per thread: (pid, fd of /proc/thread-self/schedstat); reopened after a fork


def cpu_and_wait() -> tuple[float, float | None]:
    """The thread's CPU time and its time spent runnable but waiting for a CPU, from one pread of
    /proc/thread-self/schedstat (~5 us; opening it each time cost ~40): on a busy host a CPU-bound task's
    wall time is mostly that wait, which says nothing about the task. thread_time() where it cannot be read."""
    try:
        held = getattr(_schedstat, "fd", None)
        if held is None or held[0] != os.getpid():
            held = _schedstat.fd = (os.getpid(), os.open("/proc/thread-self/schedstat", os.O_RDONLY | os.O_CLOEXEC))
        cpu_ns, wait_ns = os.pread(held[1], 128, 0).split()[:2]
        return int(cpu_ns) / 1e9, int(wait_ns) / 1e9
    except (OSError, ValueError):
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

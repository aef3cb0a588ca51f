"""Real worker frameworks: a celery 5 prefork worker on a real redis-server, and a gunicorn sync server.

In each, one worker process hangs in application code (a task's HTTP call, a handler's socket read, both
without a timeout) while its siblings and the master idle the way the framework was written to. The idle
processes must get no hang verdict; the hung one is blamed on the application's frame, not the library's.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from forensics import procfs
from forensics.analysis import analyze, normalize_frame
from forensics.model import Capture
from tests.support import free_port, pyspy_dump, started, syscall_name, thread_syscalls, wait_until

pytestmark = pytest.mark.integration

APPS = Path(__file__).resolve().parents[1] / "data" / "frameworks"


def gunicorn_sync_argv(port: int, timeout_s: float = 3600) -> list[str]:
    """A real gunicorn with two sync workers serving tests/data/frameworks/hd_wsgi.py on a loopback port."""
    return [sys.executable, "-m", "gunicorn", "-w", "2", "-k", "sync", "-b", f"127.0.0.1:{port}", "--chdir", str(APPS),
            "--timeout", str(timeout_s), "hd_wsgi:app"]


@contextlib.contextmanager
def silent_backend() -> Iterator[socket.socket]:
    """A service that accepts connections and never says a word."""
    srv = socket.create_server(("127.0.0.1", 0))
    srv.settimeout(120)
    try:
        yield srv
    finally:
        srv.close()


def collect(pid: int, *extra: str) -> Capture:
    res = subprocess.run([sys.executable, "-m", "forensics", "collect", "--pid", str(pid), "--json", "--no-store",
                          *extra], capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    return Capture.from_json(res.stdout)


def blocked_in_recv(pids: list[int]) -> int | None:
    for pid in pids:
        with contextlib.suppress(OSError):
            if "recvfrom" in {syscall_name(n) for n in thread_syscalls(pid).values()}:
                return pid
    return None


def assert_idle(cap: Capture, what: str) -> None:
    kinds = [(v.kind, v.text.splitlines()[0]) for v in analyze(cap).verdicts]
    stacks = [[normalize_frame(f.kind, f.function, f.file, f.module).key for f in t.frames if f.kind == "python"]
              for t in cap.threads]
    assert all(k == "idle" for k, _ in kinds), f"{what}: {kinds}; stacks {stacks}"


def assert_blamed(cap: Capture, function: str, kind: str = "io") -> None:
    top = analyze(cap).verdicts[0]
    first = top.text.splitlines()[0]
    assert top.kind == kind and f"in {function}()" in first, first
    assert "urllib3" not in first and "http.client" not in first


@pytest.mark.parametrize("native", [False, True])
def test_celery_prefork_idle_child_is_benign_hung_child_blames_the_task(redis_url, tmp_path, native):
    env = dict(os.environ, HD_BROKER=redis_url, PYTHONPATH=str(APPS))
    log = tmp_path / "celery.log"
    argv = [sys.executable, "-m", "celery", "-A", "hd_tasks", "worker", "--pool=prefork", "--concurrency=2",
            "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel=INFO"]
    with silent_backend() as backend, started(argv, log, cwd=APPS, env=env) as master:
        wait_until(lambda: b"ready." in log.read_bytes() and len(procfs.children(master.pid)) == 2,
                   timeout=90, what="celery worker ready with 2 pool children")
        url = f"http://127.0.0.1:{backend.getsockname()[1]}/invoices"
        subprocess.run([sys.executable, "-m", "celery", "-A", "hd_tasks", "call", "hd_tasks.sync_invoices",
                        "--args", json.dumps([url])], cwd=APPS, env=env, check=True, capture_output=True, timeout=60)
        conn, _ = backend.accept()  # the task connected: it sends its request and waits for the answer
        with conn:
            kids = procfs.children(master.pid)
            wait_until(lambda: blocked_in_recv(kids) is not None, timeout=60, what="a pool child blocked in recv")
            hung = blocked_in_recv(kids)
            idle = next(p for p in kids if p != hung)
            extra = ("--native",) if native else ()
            caps = {"hung": collect(hung, *extra), "idle": collect(idle, *extra), "master": collect(master.pid, *extra)}
    assert_blamed(caps["hung"], "sync_invoices")
    assert_idle(caps["idle"], "idle pool child")
    assert_idle(caps["master"], "celery master")
    held = [r for v in analyze(caps["master"]).verdicts for r in v.roles if r.holds]
    assert not held, "a click context is not a lock"


def _in_frames(pid: int, function: str) -> bool:
    return any(f.get("name") == function for t in json.loads(pyspy_dump(pid)) for f in t.get("frames", ()))


@pytest.mark.parametrize(("task", "args"), [("rebuild_renditions", [[320, 640, 1280]]), ("rebuild_cover", [320])])
@pytest.mark.parametrize("pool", ["prefork", "threads"])
def test_celery_task_waiting_for_its_subtasks_results_is_a_result_wait_blamed_on_the_task(redis_url, tmp_path, pool,
                                                                                          task, args):
    """``group(...).get()`` inside a task, the subtasks on a queue no worker consumes: celery's result polling (a
    backend read, then a sleep, or a poll of the result channel with a timeout of its own) is a wait for a result
    that never comes, not a loop at rest; and the hang is known by that task's thread, not by the worker's idle
    consumer loop beside it (the threads pool runs the task in the master)."""
    env = dict(os.environ, HD_BROKER=redis_url, PYTHONPATH=str(APPS))
    log = tmp_path / "celery.log"
    argv = [sys.executable, "-m", "celery", "-A", "hd_tasks", "worker", f"--pool={pool}", "--concurrency=1",
            "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel=INFO"]
    with started(argv, log, cwd=APPS, env=env) as master:
        wait_until(lambda: b"ready." in log.read_bytes() and (pool == "threads" or len(procfs.children(master.pid)) == 1),
                   timeout=90, what="celery worker ready")
        subprocess.run([sys.executable, "-m", "celery", "-A", "hd_tasks", "call", f"hd_tasks.{task}",
                        "--args", json.dumps(args)], cwd=APPS, env=env, check=True, capture_output=True, timeout=60)
        runner = procfs.children(master.pid)[0] if pool == "prefork" else master.pid
        wait_until(lambda: _in_frames(runner, task), timeout=60, what="the task waiting for results")
        cap = collect(runner)
    pa = analyze(cap)
    top = pa.verdicts[0]
    assert top.kind == "pool" and f"in {task}()" in top.text and "celery" in top.text, top.text
    assert "do not wait for a task's result inside a task" in top.text, top.text
    assert any(task in f for s in pa.signature.threads for f in s.frames), pa.signature.key


def test_celery_task_retrying_a_silent_service_with_a_timeout_on_each_try_is_a_request_under_way(redis_url, tmp_path):
    """A task's own socket call with a timeout, retried forever: one snapshot sees a poll with a timeout, which in a
    listener's loop nothing waits for is a rest; in a task the worker (and whoever sent it) waits for it to return,
    so it is a request under way, blamed on the task."""
    env = dict(os.environ, HD_BROKER=redis_url, PYTHONPATH=str(APPS))
    log = tmp_path / "celery.log"
    argv = [sys.executable, "-m", "celery", "-A", "hd_tasks", "worker", "--pool=prefork", "--concurrency=1",
            "--without-heartbeat", "--without-mingle", "--without-gossip", "--loglevel=INFO"]
    with silent_backend() as srv, started(argv, log, cwd=APPS, env=env) as master:
        wait_until(lambda: b"ready." in log.read_bytes() and len(procfs.children(master.pid)) == 1,
                   timeout=90, what="celery worker ready")
        subprocess.run([sys.executable, "-m", "celery", "-A", "hd_tasks", "call", "hd_tasks.push_meter_reads",
                        "--args", json.dumps([srv.getsockname()[1]])], cwd=APPS, env=env, check=True,
                       capture_output=True, timeout=60)
        child = procfs.children(master.pid)[0]
        wait_until(lambda: blocked_in_poll(child), timeout=60, what="the task waiting for its reply")
        cap = collect(child)
    top = analyze(cap).verdicts[0]
    assert top.kind == "io" and "in push_meter_reads()" in top.text, top.text
    assert "with a timeout on each try" in top.text and "bound the whole request" in top.text, top.text


def blocked_in_poll(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return "poll" in {syscall_name(n) for n in thread_syscalls(pid).values()}
    return False


def test_gunicorn_sync_idle_worker_and_arbiter_are_benign_hung_worker_blames_the_handler(tmp_path):
    port = free_port()
    with silent_backend() as backend:
        env = dict(os.environ, HD_BACKEND_PORT=str(backend.getsockname()[1]))
        argv = gunicorn_sync_argv(port)
        with started(argv, tmp_path / "gunicorn.log", env=env) as arbiter:

            def serving() -> bool:
                if len(procfs.children(arbiter.pid)) != 2:
                    return False
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
                        return s.recv(64).startswith(b"HTTP/1.")
                except OSError:
                    return False

            wait_until(serving, timeout=90, what="gunicorn serving with 2 workers")
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(b"GET /export HTTP/1.0\r\n\r\n")
            conn, _ = backend.accept()
            with client, conn:
                kids = procfs.children(arbiter.pid)
                wait_until(lambda: blocked_in_recv(kids) is not None, timeout=60, what="a worker blocked in recv")
                hung = blocked_in_recv(kids)
                idle = next(p for p in kids if p != hung)
                caps = {"hung": collect(hung), "idle": collect(idle), "arbiter": collect(arbiter.pid)}
    assert_blamed(caps["hung"], "export_report")
    assert_idle(caps["idle"], "idle sync worker")
    assert_idle(caps["arbiter"], "gunicorn arbiter")


def test_rq_idle_worker_and_horse_supervisor_are_benign_hung_horse_blames_the_job(redis_url, tmp_path):
    """RQ forks a work horse per job and the worker waits for it (woken by an alarm to heartbeat and to enforce
    job_timeout): the idle worker in BLPOP and the supervising worker are benign and name the horse, whose job
    is blamed."""
    from redis import Redis
    from rq import Queue

    env = dict(os.environ, PYTHONPATH=str(APPS))
    log = tmp_path / "rq.log"
    argv = [os.path.join(os.path.dirname(sys.executable), "rq"), "worker", "--url", redis_url, "ledger"]
    with silent_backend() as backend, started(argv, log, cwd=APPS, env=env) as worker:
        wait_until(lambda: b"Listening on" in log.read_bytes(), timeout=90, what="rq worker listening")
        # BLPOP on a socket with a timeout: poll() then recv(), in the main thread
        wait_until(lambda: syscall_name(thread_syscalls(worker.pid).get(worker.pid, "")) in ("poll", "recvfrom"),
                   timeout=60, what="rq worker blocked in BLPOP")
        idle = collect(worker.pid)
        Queue("ledger", connection=Redis.from_url(redis_url)).enqueue("hd_jobs.pull_ledger", backend.getsockname()[1],
                                                                      job_timeout=3600)
        conn, _ = backend.accept()  # the job connected: it sent its request and waits for the answer
        with conn:
            wait_until(lambda: blocked_in_recv(procfs.children(worker.pid)), timeout=60, what="the horse in recv")
            horse = blocked_in_recv(procfs.children(worker.pid))
            caps = {"horse": collect(horse, "--native"), "supervisor": collect(worker.pid)}
    assert_idle(idle, "idle rq worker")
    assert_blamed(caps["horse"], "pull_ledger")
    assert_idle(caps["supervisor"], "rq worker supervising its horse")
    assert f"child process {horse}" in analyze(caps["supervisor"]).verdicts[0].text

#!/usr/bin/env python3
"""A prefork master (gunicorn/celery-like) with idle workers and one worker stuck on a job.

The master forks 3 workers and loops in Arbiter.run() -> sleep() (``select.select`` on its
wake-up pipe, 1 s timeout) -> reap_workers(). Idle workers wait for jobs in Worker.run() ->
next_job() (``os.read`` on their job pipe). The worker given a job runs handle_job() ->
fetch_template() -> ``sock.recv()`` on a socket the master holds but never writes to.
Children in READY carry a ``label``: ``stuck_worker`` and ``idle_worker``.
"""
import os
import select
import socket
import warnings

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.


class Worker:
    def __init__(self, job_r, upstream):
        self.job_r = job_r
        self.upstream = upstream

    def next_job(self):
        return os.read(self.job_r, 64)  # idle workers wait here

    def run(self):
        app._pdeathsig()
        while True:
            job = self.next_job()
            if job:
                handle_job(self, job)


def fetch_template(sock, name):
    sock.sendall(name + b"\n")
    return sock.recv(65536)  # blocks: the master never answers


def handle_job(worker, job):
    return fetch_template(worker.upstream, job)


class Arbiter:
    def __init__(self, n):
        self.wake_r, self.wake_w = os.pipe()
        self.workers = {}
        self.keep = []
        for _ in range(n):
            job_r, job_w = os.pipe()
            mine, theirs = socket.socketpair()
            pid = os.fork()
            if pid == 0:
                Worker(job_r, theirs).run()
                os._exit(0)
            self.workers[pid] = job_w
            self.keep.append(mine)

    def sleep(self):
        select.select([self.wake_r], [], [], 1.0)

    def reap_workers(self):
        try:
            os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            pass

    def run(self):
        while True:
            self.sleep()
            self.reap_workers()


def main():
    app.boot("prefork_master", __doc__.splitlines()[0])
    warnings.simplefilter("ignore", DeprecationWarning)  # fork() with helper threads: what prefork servers do
    arbiter = Arbiter(3)
    pids = sorted(arbiter.workers)
    os.write(arbiter.workers[pids[0]], b"invoice.html")
    import time

    time.sleep(0.3)
    app.EXPECT["MainThread"] = "sleep"
    app.ready(children=[{"pid": pids[0], "role": "worker", "label": "stuck_worker"},
                        {"pid": pids[1], "role": "worker", "label": "idle_worker"}])
    arbiter.run()


if __name__ == "__main__":
    main()

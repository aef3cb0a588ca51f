"""Depot sync: TVM and validator logs pushed to the depot servers, manifests uploaded by lanes of workers,
and the scheduler that starts the syncs."""
from __future__ import annotations

import ftplib
import queue
import threading
import time


def open_depot_ftp(host, port):
    ftp = ftplib.FTP()
    ftp.connect(host, port)
    ftp.login("tvmlogs", "depot")
    return ftp


def push_tvm_logs(job):
    """Upload the day's TVM journals to the depot's FTP drop."""
    job.expect()
    job.waiting("recv")
    ftp = open_depot_ftp("127.0.0.1", job.get("port"))
    for bank in range(job.get("rows", 2)):
        ftp.storbinary(f"STOR tvm-bank-{bank}.log", open("/dev/null", "rb"))  # noqa: SIM115 - the app as written
    ftp.quit()
    return 0


class UploadLane:
    """A worker that uploads manifest batches until it is told to stop."""

    def __init__(self, job, name, work):
        self.job = job
        self.work = work
        self.running = True
        self.thread = threading.Thread(target=self._run, name=name)

    def _run(self):
        while self.running:
            batch = self.work.get()
            time.sleep(0.001 * len(batch))  # the PUT to the depot store
            self.work.task_done()


def drain_and_stop_uploaders(job, lanes):
    for lane in lanes:
        lane.running = False
    job.waiting("futex")
    for lane in lanes:
        lane.thread.join()


def sync_depot_manifests(job):
    """Upload the vehicle manifests of every depot, then stop the lanes."""
    work = queue.Queue()
    n = job.get("workers", 2)
    job.expect()
    lanes = [UploadLane(job, f"{job.get('pool_prefix') or 'upload'}-{i}", work) for i in range(n)]
    for lane in lanes:
        lane.thread.start()
    for depot in range(job.get("rows", 3)):
        work.put([f"depot-{depot}/bus-{b}" for b in range(20)])
    work.join()
    drain_and_stop_uploaders(job, lanes)
    return 0


def _sweep_depots(job):
    return [f"depot-{n}" for n in range(job.get("rows", 3))]


def run_depot_scheduler(job):
    """Start a sync whenever a depot's window opens; between windows it waits."""
    stop = threading.Event()
    job.expect()
    job.waiting("futex")
    while not stop.wait(job.get("sweep_every", 300.0)):
        _sweep_depots(job)
    return 0

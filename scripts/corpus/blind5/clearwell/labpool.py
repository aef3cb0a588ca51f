"""Healthy: the lab analysis pool, warm worker processes, and the dispatcher waiting (with a timeout) for sample
batches on the LIMS pipe."""
import multiprocessing
import multiprocessing.connection

from .readiness import expect, report_ready


def _analyse(batch):
    return sum(batch) / max(len(batch), 1)


def lab_analysis_pool(opts):
    workers = opts.get("workers", 2)
    inbox, _lims = multiprocessing.Pipe(duplex=False)
    with multiprocessing.Pool(processes=workers) as pool:
        pool.map(_analyse, [[0.1, 0.2]] * workers)
        report_ready(expect("blocked"))
        pending = []
        while True:
            if multiprocessing.connection.wait([inbox], timeout=opts.get("poll_interval", 1.0)):
                pending.append(pool.map_async(_analyse, [inbox.recv()]))

"""Compounding worksheets: concentration checks run in a process pool kept warm for the IV room's orders;
the service loop checks for new worksheets on a timer."""
import multiprocessing
import threading

from .beacon import expect, report_ready


def check_concentration(worksheet):
    drug_mg, volume_ml = worksheet
    return drug_mg / volume_ml


def compounding_pool(config):
    stop = threading.Event()
    with multiprocessing.Pool(processes=config.get("workers", 2)) as pool:
        pool.map(check_concentration, [(500.0 + n, 100.0) for n in range(8)])
        report_ready(expect("futex"))
        while not stop.wait(config.get("housekeeping_every", 5.0)):
            pass

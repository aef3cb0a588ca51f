"""The ward services process: the stat-order intake and the bed-census refresher run as service threads; the
main thread waits for the shutdown the service manager's SIGTERM sets."""
import queue
import signal
import threading
import time

from .beacon import Roster, expect, report_ready


def _stat_intake(orders, shutdown, roster):
    roster.sign_on("futex")
    while not shutdown.is_set():
        try:
            order = orders.get(timeout=1.0)
        except queue.Empty:
            continue
        order["seen"] = time.monotonic()


def _census_refresh(census, period, roster):
    roster.sign_on("blocked")
    while True:
        census["refreshed"] = time.monotonic()
        time.sleep(period)


def run_ward_services(config):
    shutdown = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: shutdown.set())
    roster = Roster(2)
    orders = queue.Queue()
    threading.Thread(target=_stat_intake, args=(orders, shutdown, roster), name="stat-intake", daemon=True).start()
    threading.Thread(target=_census_refresh, args=({}, config.get("status_every", 5.0), roster), name="census",
                     daemon=True).start()
    report_ready(*roster.all_present(), expect("futex"))
    shutdown.wait()

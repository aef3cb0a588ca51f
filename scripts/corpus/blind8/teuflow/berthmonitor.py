"""Berth monitor: the AIS watcher thread idles in its loop until a vessel report arrives; the runner joins it."""
import queue
import threading

from .probe import Roster, here, report_ready


def watch_ais(reports, stop, every, roster):
    roster.sign_on("futex")
    positions = {}
    while not stop.is_set():
        try:
            mmsi, berth = reports.get(timeout=every)
        except queue.Empty:
            continue
        positions[mmsi] = berth


def monitor_berths(settings):
    reports, stop = queue.Queue(), threading.Event()
    roster = Roster(1)
    watcher = threading.Thread(target=watch_ais, args=(reports, stop, settings.get("poll_interval", 1.0), roster),
                               name="ais-watch")
    watcher.start()
    report_ready(*roster.complete(), here("futex"))
    watcher.join()

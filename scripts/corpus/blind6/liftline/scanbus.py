"""Healthy: the scan consumers, taking gate scans off the bus with a timeout, joined by the caller until the
lifts close."""
import queue
import threading

from .signals import Muster, announce, beacon


def consume_scans(bus, closing, poll, muster):
    muster.check_in("futex")
    while not closing.is_set():
        try:
            scan = bus.get(timeout=poll)
        except queue.Empty:
            continue
        if scan is None:
            return


def scan_consumers(settings):
    bus, closing = queue.Queue(), threading.Event()
    count = settings.get("workers", 2)
    muster = Muster(count)
    consumers = [threading.Thread(target=consume_scans, args=(bus, closing, settings.get("poll_interval", 1.0), muster),
                                  name=f"scan-sink-{n}", daemon=True) for n in range(count)]
    for consumer in consumers:
        consumer.start()
    announce(*muster.roll_call(), beacon("futex"))
    for consumer in consumers:
        consumer.join()

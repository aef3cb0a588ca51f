"""Healthy: the sample consumers, polling the sample bus with a timeout, joined by the caller until shutdown."""
import queue
import threading

from .readiness import Rendezvous, expect, report_ready


def drain_samples(bus, stop, poll, arrivals):
    arrivals.arrive("futex")
    while not stop.is_set():
        try:
            sample = bus.get(timeout=poll)
        except queue.Empty:
            continue
        if sample is None:
            return


def sample_consumers(opts):
    bus, stop = queue.Queue(), threading.Event()
    count = opts.get("workers", 2)
    arrivals = Rendezvous(count)
    consumers = [threading.Thread(target=drain_samples, args=(bus, stop, opts.get("poll_interval", 1.0), arrivals),
                                  name=f"sample-sink-{n}", daemon=True) for n in range(count)]
    for consumer in consumers:
        consumer.start()
    report_ready(*arrivals.wait(), expect("futex"))
    for consumer in consumers:
        consumer.join()

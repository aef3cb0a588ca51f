"""Healthy: frame consumers polling the frame bus, joined by the caller until shutdown."""
import queue
import threading

from .probes import announce, enlist, gather


def consume_frames(bus, stop, poll, add):
    add(enlist("futex"))
    while not stop.is_set():
        try:
            frame = bus.get(timeout=poll)
        except queue.Empty:
            continue
        if frame is None:
            return


def frame_consumers(opts):
    bus, stop = queue.Queue(), threading.Event()
    count = opts.get("workers", 2)
    add, wait_all = gather(count)
    consumers = [threading.Thread(target=consume_frames, args=(bus, stop, opts.get("poll_interval", 1.0), add),
                                  name=f"frame-sink-{n}", daemon=True) for n in range(count)]
    for c in consumers:
        c.start()
    announce(*wait_all())
    for c in consumers:
        c.join()

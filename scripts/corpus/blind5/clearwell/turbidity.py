"""Turbidity: a poller thread reads the filter turbidimeters and queues samples; the filter-run check takes them
in batches."""
import queue
import threading

from .readiness import expect, report_ready


def poll_turbidimeter(samples, readings):
    for raw in readings:
        samples.put(float(raw.partition("=")[2]))  # a garbled "NTU=" reading raises: the poller is gone


def collect_turbidity_batch(samples, size):
    batch = []
    while len(batch) < size:
        batch.append(samples.get())
    return batch


def filter_run_check(opts):
    samples = queue.Queue()
    readings = [f"NTU=0.{n + 10}" for n in range(opts.get("rows", 2))] + ["NTU="]
    poller = threading.Thread(target=poll_turbidimeter, args=(samples, readings), name=f"turbidimeter-{opts.get('unit', 1)}")
    poller.start()
    poller.join()
    report_ready(expect("futex"))
    batch = collect_turbidity_batch(samples, opts.get("rows", 2) + 4)
    return max(batch) < 0.3

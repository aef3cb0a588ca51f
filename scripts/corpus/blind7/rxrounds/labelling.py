"""Label printing: the spooler thread parses the dispensing batch into label jobs; the printer takes them a
tray at a time."""
import queue
import threading

from .beacon import expect, report_ready


def spool_batch(jobs, lines):
    for line in lines:
        bed, _, dose = line.partition(";")
        jobs.put((int(bed), dose))  # a line with no bed (";10mg") raises: the spooler thread is gone


def collect_labels(jobs, tray):
    taken = []
    while len(taken) < tray:
        taken.append(jobs.get())
    return taken


def print_labels(config):
    jobs = queue.Queue()
    lines = [f"{n + 1};{5 * (n + 1)}mg" for n in range(config.get("rows", 2))] + [";10mg"]
    spooler = threading.Thread(target=spool_batch, args=(jobs, lines), name=f"label-spool-{config.get('unit', 1)}")
    spooler.start()
    spooler.join()
    report_ready(expect("futex"))
    return len(collect_labels(jobs, config.get("rows", 2) + 4))

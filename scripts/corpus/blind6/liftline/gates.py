"""RFID gates: the reader thread decodes gate scans onto a queue; the tally takes them in blocks per lift."""
import queue
import threading

from .signals import announce, beacon


def read_gate_scans(scans, frames):
    for frame in frames:
        chip, _, lift = frame.partition("@")
        scans.put((int(chip, 16), lift))  # a torn frame ("@C3") raises: the reader thread is gone


def drain_gate_scans(scans, block):
    taken = []
    while len(taken) < block:
        taken.append(scans.get())
    return taken


def gate_tally(settings):
    scans = queue.Queue()
    frames = [f"{0xE200 + n:x}@C{settings.get('unit', 1)}" for n in range(settings.get("rows", 2))] + ["@C3"]
    reader = threading.Thread(target=read_gate_scans, args=(scans, frames), name=f"gate-rfid-{settings.get('unit', 1)}")
    reader.start()
    reader.join()
    announce(beacon("futex"))
    block = drain_gate_scans(scans, settings.get("rows", 2) + 5)
    return len(block)

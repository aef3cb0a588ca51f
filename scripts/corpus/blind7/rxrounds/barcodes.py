"""Label verification: a forked renderer draws each dispensing label's DataMatrix while the handheld scanner
thread keeps verifying labels under the symbology lock. The renderer is forked from a threaded process: when
the scanner holds the lock at the fork, the child's copy of it is held by a thread the child does not have."""
import os
import threading

from .beacon import expect, report_ready

_symbology_lock = threading.Lock()


def draw_datamatrix(payload):
    with _symbology_lock:
        return [ord(c) % 2 for c in payload]


def render_label_batch(labels):
    return [draw_datamatrix(label) for label in labels]


def _scanner(calibrated, holding):
    with _symbology_lock:
        holding.set()
        calibrated.wait()


def label_verify(config):
    calibrated, holding = threading.Event(), threading.Event()
    threading.Thread(target=_scanner, args=(calibrated, holding), name="scanner-verify", daemon=True).start()
    holding.wait()
    labels = [f"RX{config.get('unit', 1):05d}|bed {n + 1}" for n in range(config.get("rows", 2))]
    child = os.fork()
    if child == 0:
        report_ready(expect("futex"), role="renderer")
        render_label_batch(labels)
        os._exit(0)
    os.waitpid(child, 0)

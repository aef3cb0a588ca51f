"""Manifest export: the gate journal is written under a lock by its flusher; the export forks a child that
formats the customs manifest and records its start in the journal."""
import os
import threading
import time

from .probe import here, report_ready


class GateJournal:
    def __init__(self):
        self._lock = threading.Lock()
        self.entries = []
        self.flushing = threading.Event()

    def record_gate_event(self, text):
        self._lock.acquire()
        try:
            self.entries.append(text)
        finally:
            self._lock.release()

    def flush_to_nas(self, every):
        while True:
            with self._lock:
                self.flushing.set()
                time.sleep(every)  # the NAS write under the lock; slow on a busy night


def export_manifest(journal, vessel):
    report_ready(here("futex"))
    journal.record_gate_event(f"manifest export {vessel}")
    os._exit(0)


def manifest_export(settings):
    journal = GateJournal()
    threading.Thread(target=journal.flush_to_nas, args=(3600.0,), name="journal-flush", daemon=True).start()
    journal.flushing.wait()
    child = os.fork()
    if child == 0:
        export_manifest(journal, f"V{settings.get('unit', 1):03d}")
    os.waitpid(child, 0)

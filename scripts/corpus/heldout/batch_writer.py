#!/usr/bin/env python3
"""Condition.wait() with no notify: the flusher updates the state but forgets notify_all().

``writer`` calls BatchWriter.write_and_wait(), which waits on ``self._flushed`` (a Condition)
until the flusher says its batch is on disk; ``flusher`` marks the batch done without
notifying and then idles. The main thread supervises.
"""
import threading

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.


class BatchWriter:
    def __init__(self):
        self._flushed = threading.Condition()
        self._pending = []
        self._done = set()
        self._wake = threading.Event()

    def write_and_wait(self, record):
        with self._flushed:
            self._pending.append(record)
            self._wake.set()
            while record not in self._done:
                self._flushed.wait()  # blocks: nobody notifies

    def flush_loop(self):
        while True:
            self._wake.wait()
            self._wake.clear()
            with self._flushed:
                self._done.update(self._pending)  # bug: no notify_all()
                self._pending.clear()


def ingest(writer):
    for i in range(3):
        writer.write_and_wait(("row", i))


def main():
    app.boot("batch_writer", __doc__.splitlines()[0])
    writer = BatchWriter()
    f = app.start("flusher", "lock", writer.flush_loop)
    w = app.start("writer", "lock", ingest, writer)
    threading.Event().wait(0.2)
    app.ready()
    app.wait_for_workers([w, f])


if __name__ == "__main__":
    main()

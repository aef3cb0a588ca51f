"""Demultiplexing: the lane's reads are split per sample barcode by a writer thread fed through a queue."""
from __future__ import annotations

import queue
import threading

END_OF_LANE = None


class LaneWriter(threading.Thread):
    def __init__(self, lane: int) -> None:
        super().__init__(name=f"lane-writer-{lane}")
        self.inbox: queue.Queue = queue.Queue()
        self.written = 0

    def run(self) -> None:
        while True:
            batch = self.inbox.get()
            if batch is END_OF_LANE:
                return
            self.written += len(batch)


def finish_demultiplex(writer: LaneWriter) -> int:
    writer.join()  # the end-of-lane marker is sent below, after the join
    writer.inbox.put(END_OF_LANE)
    return writer.written


def demultiplex_lane(opts: dict, gate) -> None:
    writer = LaneWriter(int(opts.get("run", 1)) % 8 + 1)
    writer.start()
    for i in range(int(opts.get("queued", 0))):
        writer.inbox.put([f"read-{i}"])
    gate.expect(1)
    gate.arrive("futex")
    finish_demultiplex(writer)


class LaneDispatcher:
    """Requests for lane barcodes go to the dispatcher thread; each caller waits on its own reply queue."""

    def __init__(self) -> None:
        self.requests: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._serve, name="lane-dispatch", daemon=True)

    def _serve(self) -> None:
        lane, _reply = self.requests.get()
        raise ConnectionResetError(f"barcode service dropped lane {lane}")


def await_lane_reply(dispatcher: LaneDispatcher, lane: int):
    reply: queue.Queue = queue.Queue()
    dispatcher.requests.put((lane, reply))
    return reply.get()


def lookup_barcodes(opts: dict, gate) -> None:
    dispatcher = LaneDispatcher()
    dispatcher.thread.start()
    waiters = int(opts.get("waiters", 0))
    gate.expect(1 + waiters)
    for i in range(waiters):
        def other(i=i) -> None:
            gate.arrive("futex")
            await_lane_reply(dispatcher, i + 2)
        threading.Thread(target=other, name=f"barcodes-{i}", daemon=True).start()
    gate.arrive("futex")
    await_lane_reply(dispatcher, 1)

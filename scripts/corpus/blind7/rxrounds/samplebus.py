"""Sample consumers: the tube-arrival consumers drain the reception inbox; the runner starts them and joins
them until the process is stopped."""
import queue
import threading

from .beacon import Roster, report_ready


class ReceptionInbox:
    def __init__(self):
        self.arrivals = queue.Queue()
        self.stopping = threading.Event()
        self.received = []

    def consume(self, roster):
        roster.sign_on("futex")
        while not self.stopping.is_set():
            try:
                tube = self.arrivals.get(timeout=0.5)
            except queue.Empty:
                continue
            self.received.append(tube)


def sample_consumers(config):
    inbox = ReceptionInbox()
    count = config.get("workers", 2)
    roster = Roster(count)
    consumers = [threading.Thread(target=inbox.consume, args=(roster,), name=f"reception-{n + 1}")
                 for n in range(count)]
    for consumer in consumers:
        consumer.start()
    report_ready(*roster.all_present())
    for consumer in consumers:
        consumer.join()

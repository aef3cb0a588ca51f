"""SCADA historian: tag values are written over the historian's TCP ingest port, one session per writer."""
import socket
import threading

from .readiness import Rendezvous, report_ready


class HistorianClient:
    def __init__(self, port):
        self.address = ("127.0.0.1", port)
        self.sock = None

    def open_session(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect(self.address)
        self.sock = sock
        return sock

    def write_tags(self, values):
        sock = self.sock or self.open_session()
        sock.sendall("".join(f"{tag}={value}\n" for tag, value in values.items()).encode())


def _ingest(port, tags, arrivals):
    arrivals.arrive("connect")
    HistorianClient(port).write_tags(tags)


def historian_ingest(opts):
    writers = 1 + opts.get("queued", 0)
    arrivals = Rendezvous(writers)
    threads = [threading.Thread(target=_ingest, args=(opts["full_port"], {f"LT-{n}": 3.2}, arrivals),
                                name=f"ingest-{n + 1}") for n in range(writers)]
    for thread in threads:
        thread.start()
    report_ready(*arrivals.wait())
    for thread in threads:
        thread.join()

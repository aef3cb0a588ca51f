"""Flow meters: the logger thread takes ASCII readings off the meter gateway's line protocol until told to stop;
the hourly rollover stops it and starts a new log."""
import socket
import threading

from .readiness import Rendezvous, expect, report_ready


class FlowGateway:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.lines = self.sock.makefile("r", encoding="ascii", newline="\r\n")
        self.stopping = threading.Event()

    def next_reading(self):
        line = self.lines.readline()
        tag, _, value = line.strip().partition(":")
        return tag, float(value or 0)


def _log_flows(gateway, arrivals, sink):
    arrivals.arrive("recv")
    while not gateway.stopping.is_set():
        sink.append(gateway.next_reading())


def stop_flow_logging(gateway, logger):
    gateway.stopping.set()
    logger.join()


def flow_rollover(opts):
    gateway = FlowGateway(opts["port"])
    arrivals = Rendezvous(1)
    logger = threading.Thread(target=_log_flows, args=(gateway, arrivals, []), name=f"flow-rx-{opts.get('unit', 1)}",
                              daemon=True)
    logger.start()
    report_ready(*arrivals.wait(), expect("futex"))
    stop_flow_logging(gateway, logger)

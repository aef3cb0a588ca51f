"""Lab analysers: a receiver thread reads results off the analyser's line protocol (ASTM records, one per line);
a restart stops the receiver and waits for it before reconnecting."""
import socket
import threading

from .beacon import Roster, expect, report_ready


class AnalyserLine:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.records = self.sock.makefile("rb")
        self.stopping = threading.Event()

    def next_result(self):
        record = self.records.readline()
        kind, _, fields = record.decode("ascii", "replace").strip().partition("|")
        return kind, fields.split("|")


def _receive(line, roster, results):
    roster.sign_on("recv")
    while not line.stopping.is_set():
        results.append(line.next_result())


def restart_receiver(line, receiver):
    line.stopping.set()
    receiver.join()


def analyser_restart(config):
    line = AnalyserLine(config["port"])
    roster = Roster(1)
    receiver = threading.Thread(target=_receive, args=(line, roster, []), name=f"astm-rx-{config.get('unit', 1)}",
                                daemon=True)
    receiver.start()
    report_ready(*roster.all_present(), expect("futex"))
    restart_receiver(line, receiver)

"""Infusion pumps: one serial-over-IP gateway per ward, shared by the rate pollers under the gateway lock."""
import socket
import threading

from .beacon import Roster, report_ready


class PumpGateway:
    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.sock = None

    def query_rate(self, pump):
        if self.sock is None:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.connect(("127.0.0.1", self.port))
        self.sock.sendall(f"RATE? {pump}\r".encode())
        reply = self.sock.recv(64)
        if not reply:
            raise ConnectionResetError("pump gateway hung up")
        return float(reply.split(b"=")[-1])


def poll_pump(gateway, pump, roster):
    roster.sign_on("blocked")
    with gateway.lock:
        return gateway.query_rate(pump)


def pump_rates(config):
    gateway = PumpGateway(config["port"])
    pollers = 1 + config.get("queued", 0)
    roster = Roster(pollers)
    threads = [threading.Thread(target=poll_pump, args=(gateway, f"IP-{n + 3}", roster), name=f"pump-{n + 1}")
               for n in range(pollers)]
    for thread in threads:
        thread.start()
    report_ready(*roster.all_present())
    for thread in threads:
        thread.join()

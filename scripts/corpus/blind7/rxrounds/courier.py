"""Pneumatic-tube courier: every sample carrier's manifest goes to the tube controller, one connection each."""
import socket
import threading

from .beacon import Roster, report_ready


class TubeController:
    def __init__(self, port):
        self.address = ("127.0.0.1", port)
        self.sock = None

    def open_courier_channel(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.connect(self.address)
        self.sock = sock
        return sock

    def send_manifest(self, carrier, tubes):
        sock = self.sock or self.open_courier_channel()
        sock.sendall(f"{carrier} {','.join(tubes)}\n".encode())


def _dispatch_carrier(port, carrier, roster):
    roster.sign_on("connect")
    TubeController(port).send_manifest(carrier, ["EDTA-4", "SST-2"])


def courier_dispatch(config):
    carriers = 1 + config.get("queued", 0)
    roster = Roster(carriers)
    threads = [threading.Thread(target=_dispatch_carrier, args=(config["full_port"], f"CR-{n + 7}", roster),
                                name=f"carrier-{n + 1}") for n in range(carriers)]
    for thread in threads:
        thread.start()
    report_ready(*roster.all_present())
    for thread in threads:
        thread.join()

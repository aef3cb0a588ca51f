"""Grooming fleet: each snowcat's shift log is sent over the fleet uplink, one connection per cat."""
import socket
import threading

from .signals import Muster, announce


class FleetUplink:
    def __init__(self, port):
        self.address = ("127.0.0.1", port)
        self.sock = None

    def open_uplink(self):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.connect(self.address)
        self.sock = sock
        return sock

    def send_shift(self, cat, passes):
        sock = self.sock or self.open_uplink()
        sock.sendall(f"{cat} {' '.join(passes)}\n".encode())


def _upload_shift(port, cat, muster):
    muster.check_in("connect")
    FleetUplink(port).send_shift(cat, ["upper-bowl", "race-course"])


def groomer_uplink(settings):
    cats = 1 + settings.get("queued", 0)
    muster = Muster(cats)
    threads = [threading.Thread(target=_upload_shift, args=(settings["full_port"], f"PB-{n + 4}", muster),
                                name=f"snowcat-{n + 1}") for n in range(cats)]
    for thread in threads:
        thread.start()
    announce(*muster.roll_call())
    for thread in threads:
        thread.join()

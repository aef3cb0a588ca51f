"""Snow guns: one telemetry link per pump house, shared by every nozzle poller under the link lock."""
import socket
import threading

from .signals import Muster, announce


class SnowGunLink:
    def __init__(self, port):
        self.port = port
        self.lock = threading.Lock()
        self.sock = None

    def read_nozzle_status(self, gun):
        if self.sock is None:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.connect(("127.0.0.1", self.port))
        self.sock.sendall(f"STAT {gun}\n".encode())
        reply = self.sock.recv(128)
        if not reply:
            raise ConnectionResetError("pump house closed the link")
        return reply.decode().split()


def poll_snow_gun(link, gun, muster):
    muster.check_in("blocked")
    with link.lock:
        return link.read_nozzle_status(gun)


def snowgun_poll(settings):
    link = SnowGunLink(settings["port"])
    pollers = 1 + settings.get("queued", 0)
    muster = Muster(pollers)
    threads = [threading.Thread(target=poll_snow_gun, args=(link, f"SG-{n + 11}", muster), name=f"nozzle-{n + 1}")
               for n in range(pollers)]
    for thread in threads:
        thread.start()
    announce(*muster.roll_call())
    for thread in threads:
        thread.join()

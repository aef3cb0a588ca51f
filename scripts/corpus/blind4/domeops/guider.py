"""Autoguider: a reader thread takes centroid packets off the guide camera's line protocol."""
import socket
import threading

from .probes import announce, enlist, gather


class GuideCamera:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.stream = self.sock.makefile("rb")
        self.stopping = False

    def read_guide_packet(self):
        line = self.stream.readline()
        x, _, y = line.decode().strip().partition(",")
        return float(x or 0), float(y or 0)


def _centroid_loop(camera, add, centroids):
    add(enlist("recv"))
    while not camera.stopping:
        centroids.append(camera.read_guide_packet())


def restart_guider(reader, camera, add):
    camera.stopping = True
    add(enlist("futex"))
    reader.join()


def guider_restart(opts):
    camera = GuideCamera(opts["port"])
    add, wait_all = gather(2)
    reader = threading.Thread(target=_centroid_loop, args=(camera, add, []), name=f"guide-rx-{opts.get('unit', 1)}",
                              daemon=True)
    reader.start()
    restarter = threading.Thread(target=restart_guider, args=(reader, camera, add), name="guider-restart")
    restarter.start()
    announce(*wait_all())
    restarter.join()

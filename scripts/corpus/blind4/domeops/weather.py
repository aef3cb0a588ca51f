"""Weather station: one TCP session to the mast, shared by every sampler under the station lock."""
import socket
import threading

from .probes import announce, enlist, gather

_station_lock = threading.Lock()


def read_wind_sample(sock):
    sock.sendall(b"WIND?\r\n")
    return sock.recv(64)


def sample_station(port):
    with _station_lock:
        sock = socket.create_connection(("127.0.0.1", port))
        try:
            return read_wind_sample(sock)
        finally:
            sock.close()


def weather_sample(opts):
    samplers = 1 + opts.get("queued", 0)
    add, wait_all = gather(samplers)

    def sampler():
        add(enlist("blocked"))
        sample_station(opts["port"])

    threads = [threading.Thread(target=sampler, name=f"wx-sampler-{n + 1}") for n in range(samplers)]
    for t in threads:
        t.start()
    announce(*wait_all())
    for t in threads:
        t.join()

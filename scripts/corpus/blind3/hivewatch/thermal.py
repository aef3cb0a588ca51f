"""Brood thermal probe, restarted by a watchdog that joins the reader."""
import socket
import threading

from .signals import me, ready


def poll_thermal_probe(port, entries, started):
    s = socket.create_connection(("127.0.0.1", port))
    entries.append(me("recv"))
    started.set()
    while True:
        data = s.recv(128)
        if not data:
            return


def restart_thermal_probe(opts):
    entries, started = [], threading.Event()
    reader = threading.Thread(target=poll_thermal_probe, args=(opts["port"], entries, started),
                              name=f"thermal-{opts.get('unit', 1)}")
    reader.start()
    started.wait()
    ready(*entries, me("futex"))
    reader.join()

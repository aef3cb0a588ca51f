"""Seeing monitor: FWHM is measured in a process pool, one worker per camera, against the DIMM service."""
import socket
from concurrent.futures import ProcessPoolExecutor

from .probes import announce, enlist


def measure_fwhm(port, frame):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(f"FWHM {frame}\n".encode())
    return float(sock.recv(32) or 0)


def estimate_seeing(port, workers):
    with ProcessPoolExecutor(max_workers=workers) as pool:
        future = pool.submit(measure_fwhm, port, "dimm-0001.fits")
        announce(enlist("futex"))
        return future.result()


def seeing_estimate(opts):
    return estimate_seeing(opts["port"], opts.get("workers", 2))

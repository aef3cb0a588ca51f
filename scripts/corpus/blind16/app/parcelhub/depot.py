"""Depot-side work: manifest journal, scan conversion, customs sealing, beacon reads."""
from __future__ import annotations

import ctypes
import fcntl
import os
import socket
import subprocess
import threading
import time

from parcelhub.runtime import announce, settings


def append_manifest_journal(manifest_id: str, rows: int, role: str) -> None:
    cfg = settings()
    fd = os.open(cfg["lock_path"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        announce(role, "flock")
        fcntl.flock(fd, fcntl.LOCK_EX)  # the nightly reconciler holds it for hours
        os.write(fd, f"{manifest_id} {rows}\n".encode())
    finally:
        os.close(fd)


def run_scan_converter(batch: str, role: str) -> int:
    # the vendor converter waits on its stdin-less licence prompt forever
    child = subprocess.Popen(["sleep", "86400"], stdin=subprocess.DEVNULL)
    announce(role, "wait4", child=child.pid)
    return child.wait()


def _customs_heartbeat(stop: threading.Event) -> None:
    n = 0
    while not stop.is_set():
        n = (n * 31 + 7) % 1000003
        time.sleep(0.002)


def encode_customs_batch(batch: str, role: str) -> None:
    stop = threading.Event()
    beat = threading.Thread(target=_customs_heartbeat, args=(stop,), name="customs-heartbeat", daemon=True)
    beat.start()
    codec = ctypes.PyDLL(None)  # the customs codec binding keeps the GIL across its blocking call
    announce(role, "sleep", others=[beat.native_id])
    codec.sleep(3600)
    stop.set()


def read_depot_beacon(depot: str, role: str) -> bytes:
    cfg = settings()
    sock = socket.create_connection(("127.0.0.1", cfg["port"]))
    sock.sendall(f"BEACON {depot}\n".encode())
    announce(role, "recv")
    return sock.recv(4096)

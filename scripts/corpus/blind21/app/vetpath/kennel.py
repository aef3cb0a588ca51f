"""Kennel boarding: the kennel camera snapshots owners see in the app and the feeding rounds of boarded
animals, closed at the end of the boarding day."""
from __future__ import annotations

import socket
import threading

from . import runtime


def open_camera_stream(host: str, port: int) -> socket.socket:
    sock = socket.create_connection((host, port))
    sock.sendall(b"GET /snapshot.jpg HTTP/1.0\r\n\r\n")
    return sock


def capture_kennel_snapshots(cfg):
    runs = [f"run-{n}" for n in range(cfg.get("rows", 1))]
    frames = {}
    for run in runs:
        runtime.announce("connect")
        with open_camera_stream("127.0.0.1", cfg.full_port) as cam:
            frames[run] = cam.recv(65536)
    return frames


class FeedingRounds:
    def __init__(self, every: float) -> None:
        self.every = every
        self._stopping = False
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._thread = threading.Thread(target=self._run, name="feeding-rounds")
        self.rounds = 0

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        runtime.expect("futex")
        while not self._stopping:
            self.rounds += 1
            self._wake.clear()
            self._idle.set()
            self._wake.wait()  # woken when a new boarder checks in

    def check_in(self, pet: str) -> None:
        self._idle.clear()
        self._wake.set()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        return self._idle.wait(timeout)

    def stop(self) -> None:
        self._stopping = True
        self._thread.join()


def stop_feeding_rounds(rounds: FeedingRounds) -> None:
    rounds.stop()


def close_boarding_day(cfg):
    rounds = FeedingRounds(cfg.get("sweep_every", 60.0))
    rounds.start()
    for n in range(cfg.get("rows", 1)):
        rounds.check_in(f"pet-{n}")
        rounds.wait_idle()
    runtime.announce("futex")
    stop_feeding_rounds(rounds)

"""Clients of the station side: the binary link protocol of the field loggers, the national model-grid feed
over HTTP, and the observation stream in redis."""
from __future__ import annotations

import json
import socket
import struct
import urllib.request

from stratonet import notify

_HEADER = struct.Struct("!HHI")  # magic, station, payload length


class StationLink:
    """One logger's link; the loggers answer a poll frame with a header and a payload."""

    def __init__(self, host: str, port: int) -> None:
        self.sock = socket.create_connection((host, port))

    def poll(self, station: int) -> bytes:
        self.sock.sendall(_HEADER.pack(0x5354, station, 0))
        return self.read_station_frame()

    def read_station_frame(self) -> bytes:
        notify.waiting("recv")
        header = self.sock.recv(_HEADER.size)
        _, _, size = _HEADER.unpack(header)
        return self.sock.recv(size)


def poll_station(opts: dict) -> bytes:
    link = StationLink("127.0.0.1", int(opts["port"]))
    return link.poll(int(opts.get("station", 17)))


def fetch_model_grid(base: str, run: str) -> dict:
    notify.waiting("recv")
    with urllib.request.urlopen(f"{base}/grids/{run}/surface.json") as reply:
        return json.load(reply)


def pull_model(opts: dict) -> dict:
    return fetch_model_grid(f"http://127.0.0.1:{opts['port']}", opts.get("model_run", "00z"))


def publish_observation(client, station: int, reading: dict) -> str:
    notify.waiting("recv")
    return client.xadd(f"obs:{station}", {k: str(v) for k, v in reading.items()})


def stream_obs(opts: dict) -> str:
    import redis

    # no socket timeout: the same client serves the blocking XREADs of the alert consumers
    client = redis.Redis(host="127.0.0.1", port=int(opts["port"]), socket_timeout=None)
    return publish_observation(client, int(opts.get("station", 17)), {"t": 4.5, "p": 1011.2, "rh": 88})

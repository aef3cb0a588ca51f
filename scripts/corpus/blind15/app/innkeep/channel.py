"""Channel manager sync: availability and restrictions pushed to the OTAs (through the channel manager's
frame protocol on a persistent TCP link) and the per-room-type availability push."""
from __future__ import annotations

import concurrent.futures
import json
import logging
import socket

from innkeep import readiness

log = logging.getLogger("innkeep.channel")

ROOM_TYPES = ["KNG", "QQ", "TWN", "STE", "JRS", "ACC", "KNGV", "QQV", "FAM"]


class ChannelLink:
    """One session with the channel manager: newline-delimited JSON frames, each acknowledged."""

    def __init__(self, host: str, port: int, property_code: str) -> None:
        self.property_code = property_code
        self._sock = socket.create_connection((host, port))  # the library default: no timeout
        self._rfile = self._sock.makefile("rb")

    def push_frame(self, kind: str, body: dict) -> dict:
        frame = {"kind": kind, "property": self.property_code, "body": body}
        self._sock.sendall(json.dumps(frame).encode() + b"\n")
        return self.read_ack_frame()

    def read_ack_frame(self) -> dict:
        readiness.check_in("recv")
        line = self._rfile.readline()
        if not line:
            raise ConnectionResetError("channel manager closed the link")
        return json.loads(line)

    def close(self) -> None:
        self._rfile.close()
        self._sock.close()


def run_ota_sync(options: dict) -> None:
    readiness.expect(1)
    link = ChannelLink("127.0.0.1", options["port"], f"LRC{options.get('property', 17):04d}")
    try:
        for room_type in ROOM_TYPES[: 2 + options.get("queued", 0)]:
            ack = link.push_frame("availability", {"room_type": room_type, "open": 4, "los_min": 1})
            log.info("ota ack %s", ack)
    finally:
        link.close()


def fetch_inventory(room_type: str) -> dict:
    return {"room_type": room_type, "open": len(room_type) + 3}


def sync_room_type(pool: concurrent.futures.Executor, room_type: str) -> dict:
    # the inventory read goes through the same pool "so that it is rate limited too"
    inventory = pool.submit(fetch_inventory, room_type)
    readiness.check_in("futex")
    return inventory.result()


def push_availability(room_types: list[str], workers: int) -> list[dict]:
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ota-push")
    futures = [pool.submit(sync_room_type, pool, rt) for rt in room_types]
    readiness.check_in("futex")
    return [f.result() for f in futures]


def run_ota_push(options: dict) -> None:
    workers = options.get("workers", 3)
    readiness.expect(workers + 1)
    room_types = (ROOM_TYPES * 2)[: workers + options.get("queued", 0)]
    log.info("pushed %s", push_availability(room_types, workers))

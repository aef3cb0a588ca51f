"""Smart-meter reads: the head-end system (HES) that the DCC-style adapter polls, and read validation."""
from __future__ import annotations

import socket
import time

from . import settings


def request_interval_reads(mpan: str, day: str) -> bytes:
    """Half-hourly reads of one meter from the head-end; the adapter retries on every timeout, forever."""
    backoff = 0.2
    attempt = 0
    while True:
        attempt += 1
        try:
            with socket.create_connection(("127.0.0.1", settings.upstream_port()), timeout=1.5) as conn:
                conn.sendall(f"READS {mpan} {day} attempt={attempt}\r\n".encode())
                if attempt == 1:
                    settings.announce("blocked")
                reply = conn.recv(65536)
                if reply:
                    return reply
        except (socket.timeout, ConnectionError):
            pass
        time.sleep(backoff)
        backoff = min(backoff * 2, 1.0)


def plausible(read_kwh: float, previous_kwh: float) -> bool:
    return 0 <= read_kwh - previous_kwh < 250


def gather_validated_reads(results) -> list:
    """Wait for every validation subtask of an ingestion batch."""
    settings.announce("blocked")
    verdicts = []
    for result in results:
        verdicts.append(result.get(disable_sync_subtasks=False))
    return verdicts

"""Telehealth: video consult rooms for remote visits and the signaling service the client apps talk to."""
from __future__ import annotations

import asyncio
import threading

from . import runtime


class RoomRegistry:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rooms: dict[str, str] = {}
        self.online = {"dr-okafor"}

    def open_room(self, visit: str, vet: str):
        self._lock.acquire()
        if vet not in self.online:
            return None  # the vet is offline: the visit is rescheduled by the caller
        self._rooms[visit] = vet
        self._lock.release()
        return visit

    def close_room(self, visit: str) -> None:
        with self._lock:
            self._rooms.pop(visit, None)


def close_room(registry: RoomRegistry, visit: str) -> None:
    registry.close_room(visit)


def end_telehealth_visits(cfg):
    registry = RoomRegistry()
    visits = [(f"V-{cfg.get('unit', 1)}", "dr-okafor"), (f"V-{cfg.get('unit', 1) + 1}", "dr-lindqvist")]
    for visit, vet in visits:
        registry.open_room(visit, vet)
    for n in range(cfg.get("waiters", 0)):
        runtime.spawn(close_room, registry, f"V-w{n}", name=f"room-closer-{n}")
    runtime.announce("futex")
    for visit, _ in visits:
        close_room(registry, visit)


async def _signal_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while line := await reader.readline():
        writer.write(line)
    writer.close()


async def signaling_service(cfg):
    """Service: the WebRTC signaling relay; no consults are running right now."""
    server = await asyncio.start_server(_signal_client, "127.0.0.1", 0)
    stop = asyncio.Event()
    async with server:
        runtime.announce("blocked")
        await stop.wait()

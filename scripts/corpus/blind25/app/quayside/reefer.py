"""Reefer container monitoring: the plug gateway telemetry and plug assignment on the reefer racks."""
from __future__ import annotations

import asyncio
import socket
import threading

from quayside.runtime import READY


def read_reefer_frame(sock: socket.socket) -> bytes:
    header = sock.recv(8)  # gateway frames: 8-byte header, then the readings
    return header


async def poll_reefer_gateway(opts: dict):
    """Poll every rack's plug gateway; the gateway SDK is synchronous, so it is called straight from the loop."""
    sock = socket.create_connection(("127.0.0.1", opts["port"]))
    sock.sendall(b"POLL RACK-%d\r\n" % opts.get("unit", 1))
    READY.mark("recv")
    readings = []
    for _ in range(int(opts.get("rows", 1))):
        readings.append(read_reefer_frame(sock))
        await asyncio.sleep(0)
    return readings


class PlugRack:
    def __init__(self, plugs: int) -> None:
        self.free = plugs
        self.cond = threading.Condition()

    def take(self) -> None:
        with self.cond:
            self.free -= 1

    def give_back(self, ok: bool) -> None:
        with self.cond:
            self.free += 1
            if ok:  # bug: the fault path returns the plug but never wakes the waiters
                self.cond.notify_all()


def wait_for_reefer_plug(rack: PlugRack, container: str) -> None:
    with rack.cond:
        READY.mark("futex")
        while rack.free <= 0:
            rack.cond.wait()
        rack.free -= 1


def assign_reefer_plugs(opts: dict):
    rack = PlugRack(1)
    rack.take()
    waiters = int(opts.get("waiters", 0))
    READY.expect(1 + waiters)
    for i in range(waiters):
        threading.Thread(target=wait_for_reefer_plug, args=(rack, f"TGHU{i:07d}"), name=f"plug-wait-{i}",
                         daemon=True).start()
    releaser = threading.Timer(0.05, rack.give_back, args=(False,))  # the container unplugged with a fault
    releaser.start()
    releaser.join()
    with rack.cond:
        rack.free -= 1  # a walk-in reefer took the freed plug
    wait_for_reefer_plug(rack, "MSKU1234565")

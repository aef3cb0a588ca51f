"""Studio tally signalling: the vision mixer's tally bus (a line protocol over TCP) and the GPI card of the
studio floor (vendor SDK, loaded with PyDLL because it calls back into Python)."""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import socket


class TallyBus:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port))
        self.reader = self.sock.makefile("rb")

    def subscribe(self, studio):
        self.sock.sendall(f"SUB studio={studio}\r\n".encode())

    def next_tally_message(self):
        line = self.reader.readline()
        return line.decode().strip().split(" ")


def follow_studio_tally(ctx):
    ctx.arm(1)
    bus = TallyBus("127.0.0.1", ctx.opts["port"])
    bus.subscribe(ctx.opts.get("studio", 3))
    lit = {}
    ctx.mark("recv")
    while True:
        camera, state = bus.next_tally_message()[:2]
        lit[camera] = state


class GpiCard:
    def __init__(self):
        self._sdk = ctypes.PyDLL(ctypes.util.find_library("c"))
        self._sdk.read.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
        self._rfd, self._wfd = os.pipe()  # the card's event channel

    def wait_for_gpi_edge(self, ctx):
        buf = ctypes.create_string_buffer(8)
        ctx.mark("recv")
        ctx.reported.wait(10)
        n = self._sdk.read(self._rfd, buf, 8)
        return buf.raw[:n]


def arm_studio_gpi(ctx):
    ctx.arm(1)
    card = GpiCard()
    while True:
        edge = card.wait_for_gpi_edge(ctx)
        if edge:
            break

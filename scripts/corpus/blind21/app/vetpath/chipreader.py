"""Microchip scanner at the front desk: the vendor's reader library, bound with ctypes (the vendor ships a
Python-API build, so it is loaded as a PyDLL)."""
from __future__ import annotations

import ctypes
import os

from . import runtime


class ChipReader:
    def __init__(self) -> None:
        self._lib = ctypes.PyDLL("libc.so.6")  # stand-in for libchipread.so: same ABI for the read call
        self._rx, self._tx = os.pipe()  # the reader's USB-serial endpoint

    def read_tag(self, size: int = 15) -> bytes:
        buf = ctypes.create_string_buffer(size)
        n = self._lib.read(self._rx, buf, size)
        return buf.raw[:n]


def read_chip_scanner(reader: ChipReader) -> str:
    return reader.read_tag().decode("ascii", "replace")


def scan_microchips(cfg):
    reader = ChipReader()
    tags = []
    for _ in range(cfg.get("rows", 1)):
        runtime.announce("recv")
        tags.append(read_chip_scanner(reader))
    return tags

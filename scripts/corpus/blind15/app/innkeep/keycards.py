"""Key-card encoding: the encoder at the front desk (a serial device behind the vendor's encoder daemon, or
the bench simulator), and the vendor SDK's blocking card-swipe read for walk-in keys."""
from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import os
import select
import subprocess
import sys

from innkeep import readiness

log = logging.getLogger("innkeep.keycards")


class Encoder:
    """The encoder daemon speaks one JSON line per request and per reply on its stdin/stdout."""

    def __init__(self, command: list[str]) -> None:
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def request(self, **fields) -> None:
        self.proc.stdin.write(json.dumps(fields).encode() + b"\n")
        self.proc.stdin.flush()

    def await_encoder_reply(self) -> dict:
        fd = self.proc.stdout.fileno()
        readiness.check_in("wait")
        select.select([fd], [], [])  # the reply comes "right away"
        return json.loads(os.read(fd, 4096) or b"{}")


def encode_arrivals(options: dict) -> None:
    readiness.expect(1)
    encoder = Encoder(options.get("encoder_cmd") or [sys.executable, "-m", "innkeep.encoder_sim"])
    for n in range(1 + options.get("queued", 0)):
        encoder.request(op="encode", room=f"{300 + n}", nights=2, zones=["lobby", "spa"])
        log.info("encoded %s", encoder.await_encoder_reply())


def _vendor_sdk():
    """The encoder vendor's SDK (libkcsdk). Loaded as a PyDLL because its callbacks call back into Python."""
    for name in ("kcsdk", None):
        path = ctypes.util.find_library(name) if name else None
        try:
            return ctypes.PyDLL(path)
        except OSError:
            continue
    raise RuntimeError("no key-card SDK")


class _BenchSDK:
    """Without the hardware, libkcsdk's blocking read is emulated with the C library's sleep()."""

    def __init__(self, lib) -> None:
        self._lib = lib

    def kc_wait_card(self, seconds: int) -> int:
        return self._lib.sleep(ctypes.c_uint(seconds))


def wait_for_card_swipe(sdk: _BenchSDK, seconds: int) -> int:
    readiness.check_in("sleep")
    return sdk.kc_wait_card(seconds)


def issue_walk_in_key(options: dict) -> None:
    readiness.expect(1)
    sdk = _BenchSDK(_vendor_sdk())
    if wait_for_card_swipe(sdk, 3600 * 8):
        log.warning("no card presented")

"""Quay crane job sequencing: crane-to-berth assignment and the crane PLC bridge."""
from __future__ import annotations

import ctypes
import ctypes.util
import threading

from quayside import berths
from quayside.runtime import READY

CRANE_TABLE_LOCK = threading.Lock()
CRANES = {"QC01": None, "QC02": None, "QC03": None}


def assign_crane_to_berth(crane: str, berth: str, both_in: threading.Barrier) -> None:
    with CRANE_TABLE_LOCK:
        both_in.wait()
        READY.mark("futex")
        with berths.BERTH_PLAN_LOCK:
            CRANES[crane] = berth


def sync_crane_assignments(opts: dict):
    READY.expect(2)
    both_in = threading.Barrier(2)
    shifter = threading.Thread(target=berths.shift_berth_window, args=("B4", 2, both_in), name="berth-shift")
    shifter.start()
    assign_crane_to_berth("QC02", "B4", both_in)
    shifter.join()


class PlcBridge:
    """The crane vendor's PLC library, loaded as a Python extension DLL (it keeps the GIL during reads)."""

    def __init__(self) -> None:
        self.lib = ctypes.PyDLL(ctypes.util.find_library("c"))
        self.lib.sleep.argtypes = [ctypes.c_uint]

    def read_register(self, seconds: int) -> int:
        return self.lib.sleep(seconds)


def read_plc_register(bridge: PlcBridge, crane: str, register: int) -> int:
    READY.mark("sleep")
    READY.printed.wait(10)
    return bridge.read_register(86400)  # the register read blocks until the PLC answers


def poll_crane_plcs(opts: dict):
    bridge = PlcBridge()
    return [read_plc_register(bridge, crane, 40001) for crane in CRANES]

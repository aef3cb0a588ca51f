"""The turbine registry: each turbine's operating state as the park controller last commanded it."""
from __future__ import annotations

import logging
import threading
import time

from gustline import notify

log = logging.getLogger("gustline.turbines")


def scada_write(turbine: str, register: str, value: object) -> None:
    """Write one controller register through the park gateway (a Modbus round trip, ~200 ms over the radio)."""
    time.sleep(0.2)


class TurbineRegistry:
    def __init__(self, names: list[str]) -> None:
        self._lock = threading.Lock()
        self.state = {name: {"mode": "run", "limit_kw": None, "yaw": "auto"} for name in names}
        self.alarms = None  # the alarm board, wired in by the sweep

    def derate_turbine(self, turbine: str, limit_kw: float) -> None:
        notify.arrive("futex")
        with self._lock:
            self.state[turbine]["limit_kw"] = limit_kw
            scada_write(turbine, "P_LIMIT", limit_kw)

    def resume_yaw_tracking(self, turbine: str) -> None:
        """The yaw misalignment is gone: back to automatic yaw, and clear its alarm."""
        with self._lock:
            self.state[turbine]["yaw"] = "auto"
            scada_write(turbine, "YAW_MODE", 1)
            self.alarms.clear_alarm(turbine, "YAW_MISALIGN")

"""Blade pitch and yaw alarms: the alarm board the control room sees, and the periodic sweep over it."""
from __future__ import annotations

import logging
import threading
import time

from gustline import notify, turbines

log = logging.getLogger("gustline.alarms")

DERATE_KW = {"PITCH_ASYM": 1800.0, "PITCH_BATT_LOW": 2500.0}


class AlarmBoard:
    def __init__(self, registry: turbines.TurbineRegistry) -> None:
        self._lock = threading.Lock()
        self.active: dict[tuple[str, str], float] = {}
        self.registry = registry

    def raise_pitch_alarm(self, turbine: str, code: str) -> None:
        """A pitch alarm derates the turbine until a technician clears it."""
        with self._lock:
            self.active[(turbine, code)] = time.time()
            turbines.scada_write(turbine, "ALARM_ACK", 0)
            self.registry.derate_turbine(turbine, DERATE_KW[code])

    def clear_alarm(self, turbine: str, code: str) -> None:
        notify.arrive("futex")
        with self._lock:
            self.active.pop((turbine, code), None)


def sweep_alarms(opts: dict) -> dict:
    """Apply the alarms the SCADA scan raised and the ones it cleared."""
    names = [f"WTG{n:02d}" for n in range(1, opts.get("turbines", 4) + 1)]
    registry = turbines.TurbineRegistry(names)
    board = AlarmBoard(registry)
    registry.alarms = board
    target = names[opts.get("park", 1) % len(names)]
    notify.expect(2)
    raiser = threading.Thread(target=board.raise_pitch_alarm, args=(target, "PITCH_ASYM"), name="pitch-alarms")
    raiser.start()
    registry.resume_yaw_tracking(target)
    raiser.join()
    return dict(board.active)

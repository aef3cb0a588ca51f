"""Housekeeping: the inspection board (supervisors' tablets mark rooms inspected; rooms are released to the
front desk once inspected) and the periodic sweep scheduler."""
from __future__ import annotations

import logging
import threading

from innkeep import readiness

log = logging.getLogger("innkeep.housekeeping")


class InspectionBoard:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._inspected: set = set()

    def mark_inspected(self, room_no) -> None:
        with self._cond:
            self._inspected.add(room_no)
            self._cond.notify_all()

    def await_inspection(self, room_no) -> None:
        readiness.check_in("futex")
        with self._cond:
            self._cond.wait_for(lambda: room_no in self._inspected)


def _tablet_feed(board: InspectionBoard, rooms: list[str]) -> None:
    # the tablets send room numbers as they are printed on the door: "0412"
    for room in rooms:
        board.mark_inspected(room)


def release_to_front_desk(board: InspectionBoard, room_no: int) -> None:
    board.await_inspection(room_no)
    log.info("room %d released", room_no)


def release_inspected_rooms(options: dict) -> None:
    rooms = [401 + n for n in range(1 + options.get("waiters", 0))]
    readiness.expect(len(rooms))
    board = InspectionBoard()
    for room in rooms[1:]:
        threading.Thread(target=release_to_front_desk, args=(board, room), name=f"release-{room}").start()
    threading.Thread(target=_tablet_feed, args=(board, [f"{r:04d}" for r in rooms]), name="tablet-feed").start()
    release_to_front_desk(board, rooms[0])


class SweepScheduler:
    """Every `interval` seconds: rooms due for a stay-over clean are put on the attendants' boards."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._stop = threading.Event()
        self.sweeps = 0

    def sweep(self) -> None:
        self.sweeps += 1
        log.info("sweep %d", self.sweeps)

    def run(self) -> None:
        readiness.check_in("futex")
        while not self._stop.wait(self.interval):
            self.sweep()

    def stop(self) -> None:
        self._stop.set()


def run_scheduler(options: dict) -> None:
    readiness.expect(1)
    SweepScheduler(options.get("sweep_every", 300.0)).run()

"""Berth plan: which vessel lies at which berth, and the berth windows scheduler."""
import sched
import threading
import time

from quaysync import cranes, lifecycle

_berth_lock = threading.Lock()
_plan = {}


def assign_berth(vessel, crews, queued=0):
    with _berth_lock:
        _plan[vessel] = len(_plan) + 1
        for n in range(queued):
            threading.Thread(target=berth_status, name=f"berth-report-{n}", daemon=True).start()
        crews.wait(10)
        lifecycle.enter("assign")
        cranes.reserve_crane_for(vessel)


def free_berth_slot(vessel):
    with _berth_lock:
        _plan.pop(vessel, None)


def berth_status():
    with _berth_lock:
        return dict(_plan)


def allocation_cycle(opts):
    lifecycle.expect(assign="futex", release="futex")
    crews = threading.Barrier(2)
    threading.Thread(target=cranes.release_crane, args=("MSC-ANNA", crews), name=opts.get("peer_name", "crane-ops"),
                     daemon=True).start()
    assign_berth("MAERSK-ELBA", crews, opts.get("queued", 0))


def _tide_window(board):
    board.enter(30, 1, _tide_window, (board,))


def _pilot_booking(board):
    board.enter(45, 2, _pilot_booking, (board,))


def run_schedule(opts):
    halt = threading.Event()
    board = sched.scheduler(time.monotonic, halt.wait)
    board.enter(30, 1, _tide_window, (board,))
    board.enter(45, 2, _pilot_booking, (board,))
    for n in range(opts.get("waiters", 1)):
        reminder = threading.Timer(600 + n, _plan.clear)
        reminder.daemon = True
        reminder.start()
    lifecycle.expect(schedule="futex")
    lifecycle.enter("schedule")
    board.run()

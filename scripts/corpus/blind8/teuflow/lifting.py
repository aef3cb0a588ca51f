"""Crane handover between two gangs: the incoming gang lifts the last box while the outgoing one lands the
spreader. The berth plan (an RLock, re-entered by its own helpers) and the crane's lock are taken together by
the plan's reassignment and the crane console in opposite orders."""
import threading

from . import hoist, spreader
from .probe import Roster, report_ready


class BerthPlan:
    def __init__(self):
        self._plan = threading.RLock()
        self.assigned = {}

    def _note(self, crane, gang):
        with self._plan:
            self.assigned[crane] = gang

    def reassign_crane(self, crane, gang, crane_lock, on_held=None):
        with self._plan:
            self._note(crane, gang)
            if on_held is not None:
                on_held()
            with crane_lock:
                return self.assigned[crane]


def swap_gang(plan, crane, gang, crane_lock, on_held=None):
    with crane_lock:
        if on_held is not None:
            on_held()
        plan._note(crane, gang)


def crane_handover(settings):
    both = threading.Barrier(2)
    roster = Roster(2)

    def holding():
        roster.sign_on("futex")
        both.wait()

    crane = f"STS{settings.get('unit', 1):02d}"
    if settings.get("lock_style") == "rlock":
        plan, crane_lock = BerthPlan(), threading.Lock()
        steps = [(plan.reassign_crane, (crane, "B", crane_lock, holding)),
                 (swap_gang, (plan, crane, "A", crane_lock, holding))]
    else:
        steps = [(spreader.lock_spreader, (crane, holding)), (hoist.lower_hoist, (crane, holding))]
    threads = [threading.Thread(target=steps[0][0], args=steps[0][1], name=f"gang-in-{crane}"),
               threading.Thread(target=steps[1][0], args=steps[1][1], name=f"gang-out-{crane}")]
    for thread in threads:
        thread.start()
    report_ready(*roster.complete())
    for thread in threads:
        thread.join()

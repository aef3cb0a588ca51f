"""Berth windows: a vessel is worked once the pilot station posts its berthing window."""
import threading

from .probe import Roster, report_ready


class BerthSchedule:
    """Posted windows; berth planners wait on a condition (the schedule) or an event (a single call)."""

    def __init__(self, style):
        self.style = style
        self.windows = {}
        self._changed = threading.Condition()
        self._posted = threading.Event()

    def post_window(self, vessel, window):
        if self.style == "event":
            self.windows[vessel] = window
            self._posted.set()
            return
        with self._changed:
            self.windows[vessel] = window
            self._changed.notify_all()

    def await_berth_window(self, vessel):
        if self.style == "event":
            self._posted.wait()
            return self.windows[vessel]
        with self._changed:
            while vessel not in self.windows:
                self._changed.wait()
            return self.windows[vessel]


def _pilot_station(schedule, vessel, eta):
    if not eta:
        return  # no ETA from the pilot boat yet: the station means to post later and never does
    schedule.post_window(vessel, eta)


def plan_berth(schedule, vessel, roster):
    roster.sign_on("futex")
    return schedule.await_berth_window(vessel)


def berth_window(settings):
    schedule = BerthSchedule(settings.get("signal_style", "condition"))
    vessel = f"V{settings.get('unit', 1):03d}"
    pilot = threading.Thread(target=_pilot_station, args=(schedule, vessel, ""), name="pilot-station")
    pilot.start()
    pilot.join()
    extra = settings.get("waiters", 0)
    roster = Roster(extra + 1)
    for n in range(extra):
        threading.Thread(target=plan_berth, args=(schedule, vessel, roster), name=f"berth-planner-{n + 2}",
                         daemon=True).start()
    threading.Thread(target=lambda: report_ready(*roster.complete()), name="probe", daemon=True).start()
    plan_berth(schedule, vessel, roster)

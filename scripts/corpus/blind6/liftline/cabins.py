"""Gondola cabins: a cabin is dispatched once the station attendant's clearance is posted on the cabin log."""
import threading

from .signals import Muster, announce


class CabinLog:
    """Posted clearances; dispatchers wait on a condition (the log) or an event (the single-cabin form)."""

    def __init__(self, style):
        self.style = style
        self.cleared = {}
        self._posted = threading.Condition()
        self._one = threading.Event()

    def post(self, cabin, attendant):
        if self.style == "event":
            self.cleared[cabin] = attendant
            self._one.set()
            return
        with self._posted:
            self.cleared[cabin] = attendant
            self._posted.notify_all()

    def await_clearance(self, cabin):
        if self.style == "event":
            self._one.wait()
            return self.cleared[cabin]
        with self._posted:
            while cabin not in self.cleared:
                self._posted.wait()
            return self.cleared[cabin]


def _attendant_terminal(log, cabin, badge):
    log.post(cabin, int(badge, 16))  # a badge read as "--" raises: the clearance is never posted


def dispatch_cabin(log, cabin, muster):
    muster.check_in("futex")
    attendant = log.await_clearance(cabin)
    return {"cabin": cabin, "attendant": attendant}


def cabin_dispatch(settings):
    log = CabinLog(settings.get("signal_style", "condition"))
    cabin = f"G-{settings.get('unit', 1):02d}"
    terminal = threading.Thread(target=_attendant_terminal, args=(log, cabin, "--"), name="attendant-terminal")
    terminal.start()
    terminal.join()
    extra = settings.get("waiters", 0)
    muster = Muster(extra + 1)
    for n in range(extra):
        threading.Thread(target=dispatch_cabin, args=(log, cabin, muster), name=f"dispatch-{n + 2}",
                         daemon=True).start()
    threading.Thread(target=lambda: announce(*muster.roll_call()), name="beacon", daemon=True).start()
    dispatch_cabin(log, cabin, muster)

"""Pharmacist verification: an order is released to the ward once a pharmacist's sign-off is recorded."""
import threading

from .beacon import Roster, report_ready


class SignoffBook:
    """Recorded sign-offs; releasers wait on a condition (the book) or an event (the single-order form)."""

    def __init__(self, style):
        self.style = style
        self.signed = {}
        self._recorded = threading.Condition()
        self._single = threading.Event()

    def record(self, order, pharmacist):
        if self.style == "event":
            self.signed[order] = pharmacist
            self._single.set()
            return
        with self._recorded:
            self.signed[order] = pharmacist
            self._recorded.notify_all()

    def await_signoff(self, order):
        if self.style == "event":
            self._single.wait()
            return self.signed[order]
        with self._recorded:
            while order not in self.signed:
                self._recorded.wait()
            return self.signed[order]


def _pharmacist_station(book, order, smartcard):
    book.record(order, int(smartcard, 16))  # an unread smartcard ("??") raises: the sign-off is never recorded


def release_order(book, order, roster):
    roster.sign_on("futex")
    pharmacist = book.await_signoff(order)
    return {"order": order, "pharmacist": pharmacist}


def verify_order(config):
    book = SignoffBook(config.get("signal_style", "condition"))
    order = f"RX-{config.get('unit', 1):05d}"
    station = threading.Thread(target=_pharmacist_station, args=(book, order, "??"), name="verify-station")
    station.start()
    station.join()
    extra = config.get("waiters", 0)
    roster = Roster(extra + 1)
    for n in range(extra):
        threading.Thread(target=release_order, args=(book, order, roster), name=f"release-{n + 2}",
                         daemon=True).start()
    threading.Thread(target=lambda: report_ready(*roster.all_present()), name="ready-report", daemon=True).start()
    release_order(book, order, roster)

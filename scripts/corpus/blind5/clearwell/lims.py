"""Lab results: a chlorine dose adjustment waits for the residual the LIMS callback posts on the result board."""
import threading

from .readiness import Rendezvous, report_ready


class ResultBoard:
    """Posted lab results; waiters are woken by a condition (the board) or an event (the single-sample form)."""

    def __init__(self, style):
        self.style = style
        self.results = {}
        self._changed = threading.Condition()
        self._posted = threading.Event()

    def post(self, sample, value):
        if self.style == "event":
            self.results[sample] = value
            self._posted.set()
            return
        with self._changed:
            self.results[sample] = value
            self._changed.notify_all()

    def await_lab_result(self, sample):
        if self.style == "event":
            self._posted.wait()
            return self.results[sample]
        with self._changed:
            self._changed.wait_for(lambda: sample in self.results)
            return self.results[sample]


def _lims_callback(board, sample, raw):
    board.post(sample, float(raw.split()[0]))  # "n/a" from the analyser: the callback raises, nothing is posted


def adjust_chlorine_dose(board, sample, arrivals):
    arrivals.arrive("futex")
    residual = board.await_lab_result(sample)
    return max(0.0, 0.5 - residual) * 2.4


def chlorine_adjust(opts):
    board = ResultBoard(opts.get("signal_style", "condition"))
    sample = f"CL2-{opts.get('unit', 1):03d}"
    callback = threading.Thread(target=_lims_callback, args=(board, sample, "n/a"), name="lims-callback")
    callback.start()
    callback.join()
    extra = opts.get("waiters", 0)
    arrivals = Rendezvous(extra + 1)
    for n in range(extra):
        threading.Thread(target=adjust_chlorine_dose, args=(board, sample, arrivals), name=f"dose-adjust-{n + 2}",
                         daemon=True).start()
    threading.Thread(target=lambda: report_ready(*arrivals.wait()), name="ready-probe", daemon=True).start()
    adjust_chlorine_dose(board, sample, arrivals)

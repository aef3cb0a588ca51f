"""A join of threads alive in loops that wake up by themselves (`while not halt.wait(30):`): a service's keep-alive
when the joining function did nothing to stop them, a hang when it tried (it set an Event, but the loop reads
another one, itself or through a method of its own class). Beside them a metrics flusher sleeps in `time.sleep()`: in a plain py-spy dump (no kernel state) the
source line says it sleeps, so it is not a thread the join may be waiting for that nothing can see into."""
import pytest

from forensics.analysis import analyze
from tests.support import HANG_KINDS, capture_program

pytestmark = pytest.mark.integration

PROGRAM = '''"""A lift-status service: a tracker polls the lifts until halted; a flusher pushes metrics."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _scaffold as fx


class Tracker:
    def __init__(self):
        self._halt = threading.Event()
        self.polls = 0

    def track(self):
        halt = self._halt
        while not halt.wait(30):
            self.polls += 1

    def reset(self):
        self._halt = threading.Event()

    def stop(self, worker):
        self._halt.set()
        worker.join()

    def _request_halt(self):
        self.halting = True  # what the loop never reads: it waits on its event

    def shutdown(self, worker):
        self._request_halt()
        worker.join()

    def _prepare(self):
        self.started_at = time.monotonic()  # bookkeeping, not a stop

    def run_service(self, worker):
        self._prepare()
        worker.join()


def flush_metrics():
    while True:
        time.sleep(30)


def serve(worker):
    worker.join()


def main():
    mode = fx.setup("keepalive_join", __doc__.splitlines()[0], lambda p: p.add_argument("mode")).mode
    fx.spawn("flusher", "clock_nanosleep", flush_metrics)
    tracker = Tracker()
    worker = threading.Thread(target=tracker.track, name="tracker")
    worker.start()
    fx.record(worker, "futex")
    fx.announce_ready()
    if mode == "stale":
        tracker.reset()
        tracker.stop(worker)
    elif mode == "helper":
        tracker.shutdown(worker)
    elif mode == "setup":
        tracker.run_service(worker)
    else:
        serve(worker)


if __name__ == "__main__":
    main()
'''


def _analysis(tmp_path, mode, dump):
    d = capture_program(tmp_path, PROGRAM, "lifts.py", [mode], threads=["MainThread", "tracker", "flusher"],
                        syscalls={"futex", "clock_nanosleep", "nanosleep"}, how="dump" if dump else "live")
    assert not dump or not any(t.get("kernel") for t in d["threads"])  # the premise: no kernel state
    return analyze(d)


@pytest.mark.parametrize("dump", [False, True])
@pytest.mark.parametrize("mode", ["keepalive", "setup"])
def test_a_service_joining_loops_it_never_stops_keeps_alive(tmp_path, dump, mode):
    """Also when it first calls a setup method of its own class that keeps some bookkeeping: that is not a stop."""
    pa = _analysis(tmp_path, mode, dump)
    assert not {v.kind for v in pa.verdicts} & HANG_KINDS, [v.text for v in pa.verdicts]
    assert "it joins loops nothing here tells to stop" in pa.verdicts[0].text, pa.verdicts[0].text


@pytest.mark.parametrize("dump", [False, True])
@pytest.mark.parametrize(("mode", "joiner"), [("stale", "stop"), ("helper", "shutdown")])
def test_a_stop_that_misses_the_loop_it_joins_is_the_hang(tmp_path, dump, mode, joiner):
    """Also when the joining method stops through a method of its own class (``self._request_halt()``)."""
    pa = _analysis(tmp_path, mode, dump)
    top = pa.verdicts[0]
    assert top.kind == "join" and top.roles[0].name == "MainThread" and f"in {joiner}()" in top.text, \
        [v.text for v in pa.verdicts]
    assert '("tracker") are alive, in loops that end only when told to stop' in top.text, top.text
    if dump:
        assert next(t for t in pa.threads if t.name == "flusher").category == "sleep"

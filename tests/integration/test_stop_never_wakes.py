"""A stop that never reaches the thread it joins: the joiner sets the flag the thread's loop tests (its `while` test or
an `if ...: break` in it), or wakes the object it waits on only after the join (or on one path), or wakes another
object than the one it handed the thread, while the thread sits in Queue.get()/Event.wait()/accept() with no timeout,
reading the flag only when woken (an accept loop is otherwise a server at rest, its joiner a supervisor). The thread waits as designed; the join is the hang, its fix in the joiner's stop.
A service that joins its consumers with no stop at all stays what it was (the consumers' own wait)."""
import pytest

from forensics.analysis import analyze
from forensics.analysis.verdict import JOIN_NO_WAKE
from tests.support import capture_program

pytestmark = pytest.mark.integration

PROGRAM = '''"""Rounds of a kennel: worker threads wait for work; closing the day stops them."""
import os
import queue
import socket
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _scaffold as fx


class Rounds:
    def __init__(self):
        self.running = True
        self.wake = threading.Event()

    def loop(self):
        while self.running:
            self.wake.wait()
            self.wake.clear()

    def stop(self, worker):
        self.running = False
        worker.join()


def drain(inbox):
    while True:
        item = inbox.get()
        if item is None:
            return


def finish(worker, inbox):
    worker.join()
    inbox.put(None)


class Gate:
    def feed(self, bowl, *, latch):
        latch.wait()

    def close(self):
        latch = threading.Event()
        lights_out = threading.Event()
        feeder = threading.Thread(target=self.feed, args=("bowl",), kwargs={"latch": latch}, name="feeder" + fx.SUFFIX)
        feeder.start()
        fx.record(feeder, "futex")
        lights_out.set()
        fx.announce_ready()
        feeder.join()


class Relay(threading.Thread):
    def __init__(self):
        super().__init__(name="relay" + fx.SUFFIX, daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.stopping = False

    def run(self):
        while True:
            conn, _ = self.listener.accept()
            if self.stopping:
                conn.close()
                break
            conn.close()

    def shutdown(self):
        self.stopping = True
        self.join()


def serve(workers):
    served = len(workers)
    for w in workers:
        w.join()
    return served


def main():
    mode = fx.setup("stop_never_wakes", __doc__.splitlines()[0], lambda p: p.add_argument("mode")).mode
    if mode == "flag":
        rounds = Rounds()
        worker = fx.spawn("rounds", "futex", rounds.loop)
        fx.announce_ready()
        rounds.stop(worker)
    elif mode == "after-join":
        inbox = queue.Queue()
        worker = fx.spawn("drainer", "futex", drain, inbox)
        fx.announce_ready()
        finish(worker, inbox)
    elif mode == "wrong-event":
        Gate().close()
    elif mode == "accept":
        relay = Relay()
        relay.start()
        fx.record(relay, "accept")
        fx.announce_ready()
        relay.shutdown()
    else:
        inbox = queue.Queue()
        workers = [fx.spawn(f"consumer-{n}", "futex", drain, inbox) for n in range(2)]
        fx.announce_ready()
        serve(workers)


if __name__ == "__main__":
    main()
'''

WORKER = {"flag": "rounds", "after-join": "drainer", "wrong-event": "feeder", "accept": "relay",
          "keepalive": "consumer-0"}
JOINER = {"flag": "stop", "after-join": "finish", "wrong-event": "close", "accept": "shutdown"}
HOW = {"flag": "sets `running`", "after-join": "the wake-up on `inbox`",
       "accept": "sets `stopping` for it to stop, but a thread blocked in that wait reads `stopping` only when "
                 "something wakes it",
       "wrong-event": "made `latch` and handed it to no one else, so only it can wake that wait, and it never does "
                      "(it signals `lights_out` instead)"}


def _capture(tmp_path, mode, how):
    return analyze(capture_program(tmp_path, PROGRAM, "kennel.py", [mode], threads=["MainThread", WORKER[mode]],
                                   syscalls={"futex", "accept", "accept4"}, how=how))


@pytest.mark.parametrize("how", ["live", "native", "dump"])
@pytest.mark.parametrize("mode", ["flag", "after-join", "wrong-event", "accept"])
def test_a_join_whose_stop_never_wakes_the_thread_is_the_hang(tmp_path, mode, how):
    pa = _capture(tmp_path, mode, how)
    top = pa.verdicts[0]
    assert top.kind == "join" and JOIN_NO_WAKE in top.evidence, [v.text for v in pa.verdicts]
    assert top.roles[0].name == "MainThread" and f"in {JOINER[mode]}()" in top.text, top.text
    assert [r.name for r in top.roles[1:]] == [WORKER[mode]], top.text
    assert HOW[mode] in top.text, top.text
    assert "fix: wake the threads when stopping them in " + JOINER[mode] in top.text, top.text
    # the joined thread is part of this verdict, not a hang of its own
    assert not any(v.roles and v.roles[0].name == WORKER[mode] for v in pa.verdicts), [v.text for v in pa.verdicts]


@pytest.mark.parametrize("how", ["live", "dump"])
def test_a_service_joining_its_consumers_without_stopping_them_is_not_a_stop(tmp_path, how):
    pa = _capture(tmp_path, "keepalive", how)
    assert not any(JOIN_NO_WAKE in v.evidence for v in pa.verdicts), [v.text for v in pa.verdicts]
    assert pa.verdicts[0].kind == "queue" and "consumer-" in pa.verdicts[0].text, [v.text for v in pa.verdicts]

"""A lock held across a sleep (a retry's backoff inside `with lock:`): the holder is not stuck, it keeps the lock while
it waits to try again; the threads waiting for that lock are the hang, each verdict naming the holder, the holder's
own verdict after theirs, never above them."""
import pytest

from forensics.analysis import analyze
from tests.support import capture_program

pytestmark = pytest.mark.integration

PROGRAM = '''"""Work orders: a sync thread pushes them to a remote system, retrying with backoff; bookings take the same lock."""
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _scaffold as fx


class Orders:
    def __init__(self):
        self._lock = threading.RLock()

    def push_with_retry(self):
        with self._lock:
            while True:  # the remote never answers: back off and retry, the lock held all along
                time.sleep(60)

    def book(self):
        with self._lock:
            return True


def main():
    fx.setup("lock_held_across_sleep", __doc__.splitlines()[0])
    orders = Orders()
    fx.spawn("sync", "nanosleep", orders.push_with_retry)
    booking = fx.spawn("booking", "futex", orders.book)
    fx.announce_ready()
    booking.join()


if __name__ == "__main__":
    main()
'''


@pytest.mark.parametrize("how", ["live", "native", "dump"])
def test_the_waiters_of_a_lock_held_across_a_sleep_are_the_hang(tmp_path, how):
    pa = analyze(capture_program(tmp_path, PROGRAM, "orders.py", threads=["sync", "booking", "MainThread"],
                                 syscalls={"futex", "clock_nanosleep", "nanosleep"}, how=how))
    kinds = [(v.kind, v.roles[0].name if v.roles else None) for v in pa.verdicts]
    top = pa.verdicts[0]
    assert top.kind == "lock" and top.roles[0].name == "booking" and "in book()" in top.text, kinds
    assert 'held by thread "sync"' in top.text and "in push_with_retry()" in top.text, top.text
    assert kinds.index(("sleep", "sync")) > 0, kinds  # the holder right after the waiters, never above them

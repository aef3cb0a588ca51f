"""Queen-excluder signalling."""
import threading

from .signals import me, ready


def _signaller(ev):
    raise RuntimeError("queen sensor offline")  # dies before it can set the event


def await_queen_signal(ev, opts):
    ready(me("futex"))
    ev.wait()


def queen_check(opts):
    ev = threading.Event()
    t = threading.Thread(target=_signaller, args=(ev,), name="queen-sensor")
    t.start()
    t.join()
    for n in range(opts.get("waiters", 0)):
        threading.Thread(target=ev.wait, name=f"excluder-{n}", daemon=True).start()
    await_queen_signal(ev, opts)

"""Healthy: the lift supervisor, polling each lift's service thread with join(timeout) and restarting any that
died."""
import queue
import threading

from .signals import Muster, announce, beacon


def _chair_service(halt, period, muster):
    muster.check_in("futex")
    while not halt.wait(period):
        pass


def _gondola_service(orders, period, muster):
    muster.check_in("futex")
    while True:
        try:
            order = orders.get(timeout=period)
        except queue.Empty:
            continue
        if order == "close":
            return


def _launch(kind, n, halt, orders, period, muster):
    if kind == "chair":
        target, args = _chair_service, (halt, period, muster)
    else:
        target, args = _gondola_service, (orders, period, muster)
    thread = threading.Thread(target=target, args=args, name=f"{kind}-svc-{n}", daemon=True)
    thread.start()
    return thread


def supervise_lifts(settings):
    count = settings.get("workers", 2)
    halt, orders = threading.Event(), queue.Queue()
    period = settings.get("poll_interval", 1.0)
    muster = Muster(count)
    kinds = ["chair" if n % 2 == 0 else "gondola" for n in range(count)]
    services = [_launch(kind, n, halt, orders, period, muster) for n, kind in enumerate(kinds)]
    announce(*muster.roll_call(), beacon("futex"))
    while True:
        for n, service in enumerate(services):
            service.join(settings.get("supervise_every", 2.0))
            if not service.is_alive():
                services[n] = _launch(kinds[n], n, halt, orders, period, Muster(1))

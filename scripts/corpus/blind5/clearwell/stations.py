"""Healthy: the station supervisor, polling its service threads with join(timeout) and restarting any that died."""
import queue
import threading

from .readiness import Rendezvous, expect, report_ready


def _reservoir_service(stop, every, arrivals):
    arrivals.arrive("futex")
    while not stop.wait(every):
        pass


def _booster_service(commands, every, arrivals):
    arrivals.arrive("futex")
    while True:
        try:
            command = commands.get(timeout=every)
        except queue.Empty:
            continue
        if command == "stop":
            return


def _start(kind, n, stop, commands, every, arrivals):
    if kind == "reservoir":
        target, args = _reservoir_service, (stop, every, arrivals)
    else:
        target, args = _booster_service, (commands, every, arrivals)
    thread = threading.Thread(target=target, args=args, name=f"{kind}-{n}", daemon=True)
    thread.start()
    return thread


def supervise_stations(opts):
    count = opts.get("workers", 2)
    stop, commands = threading.Event(), queue.Queue()
    every = opts.get("poll_interval", 1.0)
    arrivals = Rendezvous(count)
    kinds = ["reservoir" if n % 2 == 0 else "booster" for n in range(count)]
    services = [_start(kind, n, stop, commands, every, arrivals) for n, kind in enumerate(kinds)]
    report_ready(*arrivals.wait(), expect("futex"))
    while True:
        for n, service in enumerate(services):
            service.join(opts.get("supervise_every", 2.0))
            if not service.is_alive():
                services[n] = _start(kinds[n], n, stop, commands, every, Rendezvous(1))

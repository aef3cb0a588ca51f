"""Healthy: the wind watch, waking on a timer to compare the anemometers against the hold limits, and the tower
anemometer watchers."""
import threading
import time

from .signals import Muster, announce, beacon


def _watch_anemometer(readings, halt, period, muster):
    muster.check_in("futex")
    while not halt.wait(period):
        readings["seen"] = time.monotonic()


def wind_watch(settings):
    halt, gust = threading.Event(), threading.Event()
    watchers = settings.get("waiters", 0)
    muster = Muster(watchers)
    for n in range(watchers):
        threading.Thread(target=_watch_anemometer, args=({}, halt, settings.get("poll_interval", 1.0), muster),
                         name=f"anemometer-{n + 1}", daemon=True).start()
    announce(*muster.roll_call(), beacon("futex"))
    holds = []
    while not halt.is_set():
        if gust.wait(timeout=settings.get("status_every", 5.0)):
            gust.clear()
            holds.append(time.monotonic())

"""Forecast jobs share the feed pool with the long-running feed watchers."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor


def watch_feed(feed: str, stop: threading.Event) -> None:
    seen = 0
    while not stop.wait(5.0):
        seen += 1


def run_ensemble(region: str) -> dict:
    return {"region": region, "members": 21}


def collect_forecast(pool: ThreadPoolExecutor, region: str) -> dict:
    future = pool.submit(run_ensemble, region)
    return future.result()

"""The public/enforcement web API (WSGI) of curbside."""
from __future__ import annotations

import http.client
import threading
import time
from datetime import date, timedelta

from . import settings

RATES_LOCK = threading.Lock()
ZONES_LOCK = threading.Lock()
_rates = {"A": 250, "B": 180}
_zones = {"A": "open", "B": "open"}


def query_dmv_registry(plate: str) -> bytes:
    conn = http.client.HTTPConnection(settings.UPSTREAM_HOST, settings.UPSTREAM_PORT)  # no timeout
    conn.request("GET", f"/v2/registrations/{plate}", headers={"Accept": "application/json"})
    settings.report("recv")
    return conn.getresponse().read()


def load_citation_history(plate: str) -> list:
    import redis

    cache = redis.Redis(host=settings.UPSTREAM_HOST, port=settings.UPSTREAM_PORT, socket_timeout=None,
                        socket_connect_timeout=None)
    settings.report("recv")
    return cache.lrange(f"citations:{plate}", 0, -1)


def next_sweeping_window(street: str, today: date) -> date:
    weekday = {"elm": 1, "oak": 3}.get(street.split("-")[0], 7)  # unknown streets: weekday 7 never matches
    day = today
    settings.report("running")
    while day.weekday() != weekday:
        day = day + timedelta(days=1)
        if day > today + timedelta(days=13):
            day = today  # "wrap around to this fortnight" - never advances past it
    return day


def refresh_zone_rate(zone: str) -> int:
    with RATES_LOCK:
        time.sleep(0.4)
        settings.report("futex")
        with ZONES_LOCK:
            if _zones.get(zone) == "open":
                _rates[zone] = _rates.get(zone, 200) + 10
            return _rates.get(zone, 0)


def close_parking_zone(zone: str) -> str:
    with ZONES_LOCK:
        time.sleep(0.4)
        settings.report("futex")
        with RATES_LOCK:
            _zones[zone] = "closed"
            _rates.pop(zone, None)
            return "closed"


def app(environ, start_response):
    parts = [p for p in environ.get("PATH_INFO", "/").split("/") if p]
    body = b"ok"
    if parts[:1] == ["plates"]:
        body = query_dmv_registry(parts[1])
    elif parts[:1] == ["citations"]:
        body = repr(load_citation_history(parts[1])).encode()
    elif parts[:1] == ["sweeping"]:
        body = next_sweeping_window(parts[1], date(2026, 12, 3)).isoformat().encode()
    elif parts[:2] == ["rates", "zone"]:
        body = str(refresh_zone_rate(parts[2])).encode()
    elif parts[:1] == ["zones"]:
        body = close_parking_zone(parts[1]).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]

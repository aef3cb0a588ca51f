"""The lab's WSGI API (gunicorn): courier route sheets, aliquoting, racks, critical-value watch, label printing.

    gunicorn -c python:lisbench.gunicorn_conf lisbench.web:app
"""
from __future__ import annotations

import json

from . import couriers, critical, printing, specimens


def _json(value) -> bytes:
    return json.dumps(value).encode()


def dispatch(path: str) -> tuple[str, bytes]:
    parts = path.strip("/").split("/")
    if path == "/healthz":
        return "200 OK", b"ok\n"
    if parts[:2] == ["couriers", "route"] and len(parts) == 3:
        return "200 OK", couriers.route_sheet(parts[2])
    if parts[0] == "specimens" and parts[-1] == "aliquot" and len(parts) == 3:
        return "200 OK", _json(specimens.split_into_aliquots(parts[1], rack=f"R{parts[1][-2:]}"))
    if parts[0] == "racks" and parts[-1] == "archive" and len(parts) == 3:
        return "200 OK", _json({"archived": specimens.archive_rack(parts[1])})
    if parts[:2] == ["critical-values", "watch"] and len(parts) == 3:
        return "200 OK", _json(critical.wait_for_new_critical(parts[2], seen=0))
    if parts[:2] == ["labels", "print"] and len(parts) == 3:
        return "200 OK", printing.queue_label(parts[2])
    return "404 Not Found", b"not found\n"


def app(environ, start_response):
    status, body = dispatch(environ.get("PATH_INFO", "/"))
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]

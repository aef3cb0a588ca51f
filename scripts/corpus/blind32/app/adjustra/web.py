"""The claims desk WSGI app: `gunicorn adjustra.web:app`."""
from __future__ import annotations

import json

from adjustra import imaging, payments, reserves, scheduling


def _route(path: str):
    parts = path.strip("/").split("/")
    if parts == ["healthz"]:
        return {"ok": True}
    if parts[:2] == ["adjusters", "schedule"]:
        return scheduling.propose_inspection_slot(parts[2], parts[3], parts[4])
    if parts[0] == "claims" and parts[2:] == ["photos", "contact-sheet"]:
        return {"bytes": len(imaging.build_contact_sheet(parts[1]))}
    if parts[:2] == ["reserves", "adjust"]:
        return {"posted": reserves.post_reserve_adjustment(parts[2], 1500.0)}
    if parts[:2] == ["reserves", "close"]:
        return {"closed": reserves.close_reserve_line(parts[2])}
    if parts[:2] == ["payments", "disburse"]:
        return {"batch": payments.disburse_batch(parts[2])}
    return None


def app(environ, start_response):
    body = _route(environ.get("PATH_INFO", "/"))
    status = "200 OK" if body is not None else "404 Not Found"
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]

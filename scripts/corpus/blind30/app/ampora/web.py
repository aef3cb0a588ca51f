"""The customer API (WSGI): tariff quotes, bill previews, installation appointments, readings export."""
from __future__ import annotations

import json

from . import appointments, billing


def _json(start_response, status: str, payload) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def app(environ, start_response):
    parts = environ.get("PATH_INFO", "/").strip("/").split("/")
    if parts == ["healthz"]:
        return _json(start_response, "200 OK", {"ok": True})
    if parts[:2] == ["tariffs", "quote"] and len(parts) == 4:
        return _json(start_response, "200 OK", billing.quote_tariff(parts[2], parts[3], 3100.0))
    if parts[:2] == ["bills", "preview"] and len(parts) == 3:
        pdf = billing.render_bill_preview(parts[2])
        start_response("200 OK", [("Content-Type", "application/pdf"), ("Content-Length", str(len(pdf)))])
        return [pdf]
    if parts[:2] == ["appointments", "book"] and len(parts) == 4:
        return _json(start_response, "201 Created", {"slot": appointments.book_install_slot(parts[2], parts[3])})
    if parts[0] == "engineers" and len(parts) == 3 and parts[2] == "release":
        return _json(start_response, "200 OK", {"freed": appointments.release_engineer_day(parts[1])})
    if parts[:2] == ["readings", "export"] and len(parts) == 3:
        return _json(start_response, "202 Accepted", {"fd": appointments.lock_settlement_export(parts[2])})
    return _json(start_response, "404 Not Found", {"error": "no such route"})

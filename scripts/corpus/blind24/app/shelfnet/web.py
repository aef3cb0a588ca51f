"""The consortium's web API (OPAC covers, patron status, holds, room bookings), a plain WSGI app."""
from __future__ import annotations

import json

from shelfnet import covers, holds, patrons, rooms


def _json(start_response, body: object, status: str = "200 OK") -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def app(environ, start_response):
    parts = environ.get("PATH_INFO", "/").strip("/").split("/")
    if parts == ["healthz"]:
        return _json(start_response, {"ok": True})
    if parts[0] == "covers" and len(parts) == 2:
        data = covers.cover(parts[1])
        start_response("200 OK", [("Content-Type", "image/png"), ("Content-Length", str(len(data)))])
        return [data]
    if parts[0] == "patrons" and len(parts) == 3 and parts[2] == "status":
        return _json(start_response, patrons.card_status(parts[1]))
    if parts[0] == "holds" and len(parts) == 3 and parts[2] == "pickup":
        return _json(start_response, holds.pickup_notice(parts[1]))
    if parts[0] == "rooms" and len(parts) == 4 and parts[1] == "book":
        return _json(start_response, rooms.book_room(parts[2], parts[3]))
    return _json(start_response, {"error": "not found"}, "404 Not Found")

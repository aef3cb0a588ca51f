"""The WSGI app of the front-of-house tier (gunicorn)."""
from __future__ import annotations

from brigade import frontdesk

ROUTES = {
    "handoff": frontdesk.post_courier_handoff,
    "payments": frontdesk.capture_card_payment,
    "seat": frontdesk.reserve_table,
    "merge": frontdesk.merge_party,
    "close-report": frontdesk.mail_closing_report,
    "loyalty": frontdesk.load_loyalty_tier,
}


def app(environ, start_response):
    parts = [p for p in environ.get("PATH_INFO", "/").split("/") if p]
    if not parts or parts[0] == "healthz":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]
    handler = ROUTES.get(parts[0])
    if handler is None or len(parts) < 2:
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    body = str(handler(parts[1])).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]

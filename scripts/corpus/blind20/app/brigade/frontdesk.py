"""Front-of-house request handlers: delivery-partner handoffs, payment capture, the table map, closing
reports, loyalty tiers."""
from __future__ import annotations

import http.client
import json
import smtplib
import threading
import time
import urllib.error
import urllib.request

from brigade import announce, settings


def post_courier_handoff(order_id: str) -> int:
    partner = http.client.HTTPConnection("127.0.0.1", settings()["port"])  # the courier partner's webhook
    body = json.dumps({"order": order_id, "ready_in": 6})
    announce("recv")
    partner.request("POST", "/v2/handoffs", body, {"Content-Type": "application/json"})
    return partner.getresponse().status


def capture_card_payment(intent: str) -> dict:
    url = f"http://127.0.0.1:{settings()['port']}/v1/intents/{intent}/capture"
    attempt = 0
    announce("blocked")
    while True:  # "the acquirer is flaky": retried with backoff, but no total deadline
        attempt += 1
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=b"{}", method="POST"), timeout=1.0) as r:
                return json.loads(r.read())
        except (OSError, urllib.error.URLError):
            time.sleep(min(0.05 * attempt, 0.5))


TABLE_MAP = threading.Lock()
PARTY_BOOK = threading.Lock()
_SEATING = threading.Barrier(2)


def reserve_table(table: str) -> str:
    with TABLE_MAP:
        _SEATING.wait(timeout=30)
        announce("futex")
        with PARTY_BOOK:
            return f"{table} reserved"


def merge_party(table: str) -> str:
    with PARTY_BOOK:
        _SEATING.wait(timeout=30)
        announce("futex")
        with TABLE_MAP:
            return f"{table} merged"


def mail_closing_report(store: str) -> str:
    announce("recv")
    relay = smtplib.SMTP("127.0.0.1", settings()["port"])  # the store's mail relay; no timeout
    relay.sendmail("close@brigade.example", ["ops@brigade.example"], f"Subject: close {store}\n\nok\n")
    return "sent"


def load_loyalty_tier(member: str) -> str:
    import redis

    points = redis.Redis(host="127.0.0.1", port=settings()["port"], socket_timeout=None,
                         socket_connect_timeout=None)  # the loyalty cache
    announce("recv")
    return (points.hget(f"member:{member}", "tier") or b"bronze").decode()

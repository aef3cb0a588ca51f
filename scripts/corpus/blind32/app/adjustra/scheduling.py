"""Adjuster scheduling against the field-adjuster calendar service."""
from __future__ import annotations

import http.client
import json

from adjustra.ops import report, settings


def fetch_adjuster_calendar(zone: str, day: str) -> list:
    conn = http.client.HTTPConnection("127.0.0.1", settings()["port"])  # the calendar client has no timeout
    conn.request("GET", f"/calendar/{zone}/{day}", headers={"Accept": "application/json"})
    report("recv")
    resp = conn.getresponse()
    return json.loads(resp.read())


def propose_inspection_slot(claim_id: str, zone: str, day: str) -> dict:
    free = fetch_adjuster_calendar(zone, day)
    return {"claim": claim_id, "slot": free[0] if free else None}

"""Courier pickup routes: the dispatch service plans the clinic-to-lab specimen pickup runs."""
from __future__ import annotations

import http.client
import json

from . import config


def fetch_route_plan(run_id: str, port: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port)  # no timeout: the dispatch service is "always fast"
    try:
        conn.request("GET", f"/v2/runs/{run_id}/stops", headers={"Accept": "application/json"})
        config.announce("recv")
        response = conn.getresponse()
        return json.loads(response.read() or b"{}")
    finally:
        conn.close()


def route_sheet(run_id: str) -> bytes:
    plan = fetch_route_plan(run_id, config.upstream_port())
    stops = plan.get("stops", [])
    lines = [f"{n + 1:2d}. {stop.get('clinic', '?')} {stop.get('window', '')}" for n, stop in enumerate(stops)]
    return ("\n".join([f"Pickup run {run_id}", *lines]) + "\n").encode()

"""Talking to the carriers: label templates, cached rate quotes, invoices."""
from __future__ import annotations

import http.client
import json
import urllib.request

import redis

from parcelhub.runtime import announce, settings


def fetch_label_template(carrier: str, role: str) -> bytes:
    cfg = settings()
    url = f"http://127.0.0.1:{cfg['port']}/templates/{carrier}.zpl"
    announce(role, "recv")
    with urllib.request.urlopen(url) as resp:  # no timeout: the template CDN sometimes accepts and stalls
        return resp.read()


def render_label(parcel_id: str, carrier: str, role: str) -> str:
    template = fetch_label_template(carrier, role)
    return template.decode("ascii", "replace").replace("{PARCEL}", parcel_id)


def lookup_cached_rate(lane: str, weight_g: int, role: str) -> float | None:
    cfg = settings()
    cache = redis.Redis(host="127.0.0.1", port=cfg["port"], socket_timeout=None, socket_connect_timeout=5)
    announce(role, "recv")
    hit = cache.get(f"rate:{lane}:{weight_g // 500}")
    return float(hit) if hit else None


def quote_lane(lane: str, weight_g: int, role: str) -> float:
    cached = lookup_cached_rate(lane, weight_g, role)
    return cached if cached is not None else 4.2 + weight_g / 1000


def post_invoice(account: str, lines: list, role: str) -> int:
    cfg = settings()
    conn = http.client.HTTPConnection("127.0.0.1", cfg["port"])  # the billing gateway: no timeout given
    body = json.dumps({"account": account, "lines": lines})
    conn.request("POST", "/v2/invoices", body=body, headers={"Content-Type": "application/json"})
    announce(role, "recv")
    return conn.getresponse().status

"""Lift gates: validating a scanned ticket against the pass cache, and the lift status board the gate
displays poll."""
from __future__ import annotations

import http.server
import json
from dataclasses import dataclass

from piste import readiness


@dataclass
class Scan:
    gate: str
    pass_id: str


def _pass_cache(opts: dict):
    import redis  # vendored with the install

    # the gate cache sits in the same rack: no socket timeout, a scan either answers or the cache is "down"
    return redis.Redis(host="127.0.0.1", port=int(opts["port"]), socket_connect_timeout=3.0,
                       socket_timeout=None, decode_responses=True)


def fetch_pass_record(cache, pass_id: str) -> dict:
    record = cache.hgetall(f"pass:{pass_id}")
    if not record:
        raise KeyError(pass_id)
    return record


def admit(scan: Scan, record: dict) -> bool:
    return record.get("status") == "valid" and scan.gate in record.get("lifts", scan.gate)


def scan_lift_tickets(opts: dict) -> int:
    cache = _pass_cache(opts)
    scans = [Scan(f"G{opts.get('unit', 1) % 9}", f"SP-{opts.get('unit', 1):05d}-{n}")
             for n in range(1 + int(opts.get("queued", 0)))]
    admitted = 0
    readiness.expect(1)
    for scan in scans:
        readiness.parked("recv")
        record = fetch_pass_record(cache, scan.pass_id)
        admitted += admit(scan, record)
    return admitted


class _StatusHandler(http.server.BaseHTTPRequestHandler):
    board = {"chair-1": "open", "gondola": "wind-hold", "t-bar": "open"}  # noqa: RUF012

    def do_GET(self):
        body = json.dumps(self.board).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve_lift_status(opts: dict) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _StatusHandler)
    server.daemon_threads = True
    readiness.expect(1)
    readiness.parked("blocked")
    server.serve_forever(poll_interval=float(opts.get("poll_interval", 0.5)))

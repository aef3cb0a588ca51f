"""Prometheus text-format metrics: written to a file after each scan, or served on 127.0.0.1."""
from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

COUNTERS = {
    "hangdump_watch_hangs_detected_total": "Detections, by rule.",
    "hangdump_watch_captures_total": "Captures stored.",
    "hangdump_watch_capture_failures_total": "Captures that failed or ran out of budget.",
    "hangdump_watch_kills_total": "Signals sent, by signal.",
    "hangdump_watch_breaker_trips_total": "Scans where the circuit breaker tripped (capture only).",
}
GAUGES = {
    "hangdump_watch_scan_duration_seconds": "Duration of the last scan.",
    "hangdump_watch_targets": "Targets in the last scan.",
}


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def set(self, name: str, value: float) -> None:
        with self._lock:
            self._values[(name, ())] = value

    def value(self, name: str, **labels: str) -> float:
        with self._lock:
            return self._values.get((name, tuple(sorted(labels.items()))), 0.0)

    def render(self) -> str:
        lines = []
        with self._lock:
            values = dict(self._values)
        for table, kind in ((COUNTERS, "counter"), (GAUGES, "gauge")):
            for name, help_text in table.items():
                lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
                rows = [(labels, v) for (n, labels), v in values.items() if n == name] or [((), 0.0)]
                for labels, v in sorted(rows):
                    label_text = ",".join(f'{k}="{val}"' for k, val in labels)
                    lines.append(f"{name}{{{label_text}}} {v:g}" if label_text else f"{name} {v:g}")
        return "\n".join(lines) + "\n"

    def write(self, path: str) -> None:
        tmp = f"{path}.tmp{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(self.render())
        os.replace(tmp, path)

    def serve(self, port: int) -> ThreadingHTTPServer:
        """GET /metrics on 127.0.0.1:port, from a daemon thread (loopback only: no auth to get wrong)."""
        metrics = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = metrics.render().encode()
                self.send_response(200 if self.path in ("/", "/metrics") else 404)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        threading.Thread(target=server.serve_forever, name="hangdump-metrics", daemon=True).start()
        return server

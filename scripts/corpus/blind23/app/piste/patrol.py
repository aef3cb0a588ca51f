"""Ski patrol: radio transcripts pulled from the radio gateway, the shared radio log every dispatcher
appends to, and the radio listener that takes the handsets' UDP status packets."""
from __future__ import annotations

import asyncio
import fcntl
import http.client
import json
import selectors
import socket
import threading
import time

from piste import readiness


def fetch_transcript_page(host: str, port: int, channel: int, since: int) -> list[dict]:
    conn = http.client.HTTPConnection(host, port)
    conn.request("GET", f"/v2/channels/{channel}/transcripts?since={since}", headers={"Accept": "application/json"})
    resp = conn.getresponse()
    return json.loads(resp.read() or b"[]")


async def sync_radio_transcripts(opts: dict) -> int:
    channels = [7, 9, 12][: 1 + int(opts.get("rows", 1)) % 3]
    since = int(time.time()) - 900
    readiness.expect(1)
    stored = 0
    for channel in channels:
        readiness.parked("recv")
        page = fetch_transcript_page("127.0.0.1", int(opts["port"]), channel, since)
        stored += len(page)
        await asyncio.sleep(0)
    return stored


_log_guard = threading.Lock()  # dispatchers in this process append one at a time


def append_radio_entry(path: str, entry: dict) -> None:
    with open(path, "a") as log:
        fcntl.flock(log.fileno(), fcntl.LOCK_EX)  # the log is shared with the other base stations
        try:
            log.write(json.dumps(entry) + "\n")
            log.flush()
        finally:
            fcntl.flock(log.fileno(), fcntl.LOCK_UN)


def log_patrol_calls(opts: dict) -> int:
    path = opts["lock_path"]
    calls = [{"unit": f"P{k}", "code": "10-8", "at": time.time()} for k in range(1 + int(opts.get("queued", 0)))]
    waiters = int(opts.get("waiters", 0))
    readiness.expect(1 + waiters)
    for w in range(waiters):
        threading.Thread(target=_dispatcher, args=(path, {"unit": f"D{w}", "code": "10-4"}), name=f"dispatch-{w}",
                         daemon=True).start()
    written = 0
    for call in calls:
        with _log_guard:
            readiness.parked("flock")
            append_radio_entry(path, call)
        written += 1
    return written


def _dispatcher(path: str, entry: dict) -> None:
    time.sleep(0.1)
    readiness.parked("futex")
    with _log_guard:
        append_radio_entry(path, entry)


def _handle_status_packet(data: bytes, seen: dict[str, float]) -> None:
    seen[data[:8].decode(errors="replace")] = time.time()


def run_radio_listener(opts: dict) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ)
    seen: dict[str, float] = {}
    readiness.expect(1)
    readiness.parked("blocked")
    while True:
        for key, _ in sel.select(timeout=float(opts.get("poll_interval", 1.0))):
            _handle_status_packet(key.fileobj.recv(512), seen)
        for unit in [u for u, at in seen.items() if time.time() - at > 120]:
            del seen[unit]

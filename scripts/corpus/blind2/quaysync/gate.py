"""Truck gate: lane admission, the gate event log (sqlite), and the gate status API."""
import http.server
import os
import sqlite3
import threading
import time

from quaysync import lifecycle


class GateBoard:
    def __init__(self, lanes):
        self._cond = threading.Condition()
        self._free = lanes

    def claim_lane(self, truck):
        with self._cond:
            if self._free <= 0:
                lifecycle.enter("claim")
            self._cond.wait_for(lambda: self._free > 0)
            self._free -= 1
            return truck

    def release_lane(self, lane, passed_ocr):
        with self._cond:
            if not passed_ocr:
                return
            self._free += 1
            self._cond.notify()


def admit_trucks(opts):
    lifecycle.expect(claim="futex", count=opts.get("waiters", 1) + 1)
    board = GateBoard(lanes=1)
    board.claim_lane("TRK-0001")
    for n in range(opts.get("waiters", 1)):
        threading.Thread(target=board.claim_lane, args=(f"TRK-{n + 2:04d}",), name=f"truck-{n}",
                         daemon=True).start()
    release = threading.Thread(target=board.release_lane, args=(1, False), name="ocr-check")
    release.start()
    release.join()
    board.claim_lane("TRK-9000")


_open_shifts = []


class GateLog:
    def __init__(self, path):
        self.path = path
        with sqlite3.connect(path) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS events (truck TEXT, at REAL)")
            conn.execute("CREATE TABLE IF NOT EXISTS shifts (opened REAL)")

    def open_shift(self):
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO shifts VALUES (?)", (time.time(),))
        _open_shifts.append(conn)

    def record_gate_event(self, truck):
        conn = sqlite3.connect(self.path, timeout=86400)
        lifecycle.enter("record")
        conn.execute("INSERT INTO events VALUES (?, ?)", (truck, time.time()))
        conn.commit()


def log_gate_events(opts):
    lifecycle.expect(record="sleep", count=opts.get("queued", 0) + 1)
    log = GateLog(os.path.join(opts["workdir"], "gate.db"))
    shift = threading.Thread(target=log.open_shift, name="shift-open")
    shift.start()
    shift.join()
    for n in range(opts.get("queued", 0)):
        threading.Thread(target=log.record_gate_event, args=(f"TRK-{n:04d}",), name=f"gate-writer-{n}",
                         daemon=True).start()
    log.record_gate_event("TRK-7777")


class GateApiHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"lanes: 4 open\n")


def serve_api(opts):
    lifecycle.expect(serve="any")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), GateApiHandler)
    lifecycle.enter("serve")
    server.serve_forever(poll_interval=opts.get("poll_interval", 0.5))

"""Energy metering and settlement: interval readings of the export meters, the settlement files sent to the
market operator (signed by the HSM) and their spool."""
from __future__ import annotations

import fcntl
import logging
import os
import queue
import subprocess
import sys
import threading

from gustline import notify

log = logging.getLogger("gustline.metering")


class BadReading(ValueError):
    pass


def parse_reading(raw: str) -> dict:
    meter, ts, kwh, quality = raw.split(";")
    if quality not in ("A", "E"):  # actual / estimated
        raise BadReading(f"{meter} {ts}: quality flag {quality!r}")
    return {"meter": meter, "ts": ts, "kwh": float(kwh), "estimated": quality == "E"}


def parse_worker(inbox: queue.Queue, out: list, rejected: list) -> None:
    while True:
        raw = inbox.get()
        try:
            reading = parse_reading(raw)
        except BadReading as exc:
            rejected.append(str(exc))
            continue
        out.append(reading)
        inbox.task_done()


def collect_interval_readings(rows: list[str], workers: int) -> list[dict]:
    inbox: queue.Queue = queue.Queue()
    readings: list[dict] = []
    rejected: list[str] = []
    for n in range(workers):
        threading.Thread(target=parse_worker, args=(inbox, readings, rejected), name=f"meter-parse-{n}",
                         daemon=True).start()
    for raw in rows:
        inbox.put(raw)
    notify.arrive("futex")
    inbox.join()
    return readings


def run_settlement_period(opts: dict) -> float:
    """Sum the export meters' 15-minute readings of the period for the settlement run."""
    rows = []
    for m in range(opts.get("turbines", 4)):
        for q in range(4):
            flag = "A" if (m + q) % 7 else "S"  # S: a substituted value the meter head-end marks since its upgrade
            rows.append(f"EXP{m:02d};2026-12-03T0{q}:00Z;{412.5 + m + q};{flag}")
    readings = collect_interval_readings(rows, opts.get("workers", 2))
    return sum(r["kwh"] for r in readings)


def sign_settlement_file(path: str, hsm: str) -> str:
    """Detached signature by the HSM, through the signer tool (the market operator rejects unsigned files)."""
    notify.arrive("wait4")
    subprocess.run([sys.executable, "-m", "gustline.signer", "--hsm", hsm, path], check=True)
    return path + ".sig"


def publish_settlement_files(opts: dict) -> list[str]:
    outdir = os.path.join(os.environ.get("TMPDIR", "/tmp"), "settlement")
    os.makedirs(outdir, exist_ok=True)
    signed = []
    for n in range(opts.get("rows", 1)):
        path = os.path.join(outdir, f"S{opts.get('park', 1):02d}_20261203_{n}.csv")
        with open(path, "w") as fh:
            fh.write("meter;period;kwh\n")
        signed.append(sign_settlement_file(path, f"127.0.0.1:{opts['port']}"))
    return signed


def lock_settlement_spool(lock_path: str) -> int:
    """The spool is shared with the market gateway's uploader, which takes the same lock while it sends."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    notify.arrive("flock")
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def write_spool_file(lock_path: str, name: str) -> None:
    fd = lock_settlement_spool(lock_path)
    try:
        with open(os.path.join(os.path.dirname(lock_path), name), "w") as fh:
            fh.write("meter;period;kwh\n")
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def export_settlement_files(opts: dict) -> int:
    """Put the day's settlement files in the outgoing spool (the other export threads: the other parks)."""
    notify.expect(1 + opts.get("waiters", 0))
    others = [threading.Thread(target=write_spool_file, args=(opts["lock_path"], f"park{n}.csv"),
                               name=f"export-{n}", daemon=True) for n in range(opts.get("waiters", 0))]
    for t in others:
        t.start()
    write_spool_file(opts["lock_path"], "park-main.csv")
    for t in others:
        t.join()
    return 1 + len(others)

"""The tap journal: every validated tap is appended to a local SQLite journal before it is acknowledged
(the validators resend what is not), compacted after the archive upload."""
from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

NEVER_LOSE_A_TAP = 24 * 3600.0  # seconds an append may wait for the journal


def journal_path():
    return Path(os.environ.get("TMPDIR", "/tmp")) / "taps.journal"


def compact_journal(job, path, holding, uploaded):
    conn = sqlite3.connect(path)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("DELETE FROM taps WHERE ts < 100")
    holding.set()
    job.waiting("futex")
    uploaded.wait()  # keep the deleted rows until the archive upload confirms them
    conn.commit()


def append_tap_journal(conn, taps):
    conn.executemany("INSERT INTO taps (card, stop, ts) VALUES (?, ?, ?)", taps)
    conn.commit()


def journal_taps(job):
    path = journal_path()
    with sqlite3.connect(path) as setup:
        setup.execute("CREATE TABLE IF NOT EXISTS taps (card TEXT, stop TEXT, ts INTEGER)")
        setup.executemany("INSERT INTO taps VALUES (?, ?, ?)", [("c", "s", n) for n in range(200)])
    setup.close()
    holding, uploaded = threading.Event(), threading.Event()
    job.expect(2)
    threading.Thread(target=compact_journal, args=(job, str(path), holding, uploaded), name="journal-compactor",
                     daemon=True).start()
    holding.wait()
    conn = sqlite3.connect(str(path), timeout=NEVER_LOSE_A_TAP)
    taps = [(f"card-{n}", f"stop-{job.get('unit', 1)}", 1000 + n) for n in range(job.get("rows", 3))]
    job.waiting("blocked")
    append_tap_journal(conn, taps)
    return 0

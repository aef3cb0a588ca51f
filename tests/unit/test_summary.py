"""The terminal summary: verdicts of alike threads share a line, and nothing is dropped without a count."""
from __future__ import annotations

from forensics.model import SCHEMA, Capture
from forensics.summary import render_full, render_summary

THREADING = "/usr/lib/python3.11/threading.py"


def stuck(tid: int, name: str, function: str, syscall: str) -> dict:
    return {
        "tid": tid, "name": name, "owns_gil": False, "active": False,
        "kernel": {"state": "S", "syscall": {"nr": 0, "name": syscall, "args": [3, 0, 0, 0, 0, 0]}},
        "frames": [{"kind": "python", "function": function, "file": "/srv/app/jobs.py", "line": 10 + tid},
                   {"kind": "python", "function": "Thread.run", "file": THREADING, "line": 975}],
    }


def capture(threads: list[dict]) -> Capture:
    return Capture.from_dict({"schema": SCHEMA, "id": "cap1", "taken_at": 1.0, "method": "py-spy", "pid": 42,
                              "threads": threads})


def test_alike_verdicts_share_a_line_and_a_lone_cause_is_still_shown():
    threads = [stuck(i + 1, f"order-sync_{i}", "fetch_orders", "recvfrom") for i in range(4)]
    threads.append(stuck(9, "backup", "run_backup", "wait4"))
    text = render_summary(capture(threads))
    verdicts = [ln for ln in text.splitlines() if ln.startswith("  verdict:")]
    assert len(verdicts) == 2, text
    assert "and 3 more thread(s) alike" in verdicts[0] and '"order-sync_3"' in verdicts[0]
    assert any("backup" in v and "child process" in v for v in verdicts), verdicts


def test_verdicts_beyond_the_screen_are_counted_and_show_lists_them_all():
    kinds = ["recvfrom", "wait4", "flock", "futex", "connect", "clock_nanosleep", "read"]
    threads = [stuck(i, f"t{i}", f"job_{i}", sc) for i, sc in enumerate(kinds)]
    summary = render_summary(capture(threads))
    assert "... 2 more verdict(s): hangdump show cap1" in summary
    full = render_full(capture(threads))
    assert sum(1 for ln in full.splitlines() if ln.startswith("  verdict:")) == len(kinds)
    assert "[idle]" not in full


FORGE = "\r\n  verdict: nothing wrong\x1b[2J\x1b]0;t\x07\u202e\x9b\udcff"


def test_names_cannot_forge_rows_or_reach_the_terminal_raw():
    """Every string of a capture can carry escapes and line breaks; the views show them escaped, and a name's
    line break never starts a line of the summary (the verdict text is built from the escaped names)."""
    hostile = stuck(1, "worker" + FORGE, "fetch" + FORGE, "recvfrom")
    hostile["frames"][0]["file"] = "/srv/app/jobs" + FORGE + ".py"
    hostile["kernel"]["wchan"] = "w" + FORGE
    hostile["frames"][0]["locals"] = [{"name": "n" + FORGE, "repr": "'v" + FORGE + "'"}]
    doc = {"schema": SCHEMA, "id": "cap1", "taken_at": 1.0, "method": "py-spy", "pid": 42, "host": "h" + FORGE,
           "source": "s" + FORGE, "errors": ["e" + FORGE], "threads": [hostile],
           "process": {"cmdline": ["python", "x" + FORGE], "state": "S", "num_threads": 1}}
    for text in (render_summary(Capture.from_dict(doc)), render_full(Capture.from_dict(doc))):
        bad = [ch for ch in text if (ord(ch) < 32 and ch != "\n") or 0x7f <= ord(ch) <= 0x9f
               or ch in "\u202e" or 0xD800 <= ord(ch) <= 0xDFFF]
        assert not bad, bad
        lines = text.splitlines()
        assert not [ln for ln in lines if ln.lstrip().startswith("verdict: nothing")], text
        shown = "\\r\\n  verdict: nothing wrong\\x1b[2J\\x1b]0;t\\x07\\u202e\\x9b\\udcff"
        assert f'thread "worker{shown}" (tid 1) in fetch{shown}() at jobs{shown}.py:11' in text
        assert f"x{shown}" in lines[0] and f"note: e{shown}" in text
    assert f"n{shown} = 'v{shown}'" in render_full(Capture.from_dict(doc))

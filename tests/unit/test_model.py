"""The capture document: round trips, tolerant reads, strict type checks."""
import json
from pathlib import Path

import pytest

from forensics.errors import CaptureFormatError
from forensics.importers.pyspy import threads_from_pyspy
from forensics.model import SCHEMA, Capture

DATA = Path(__file__).parent.parent / "data"


def test_recorded_capture_round_trip():
    raw = (DATA / "capture_deadlock_py311.json").read_text()
    c = Capture.from_json(raw)
    assert c.method == "py-spy"
    assert {t.name for t in c.threads} >= {"worker-a", "worker-b", "MainThread"}
    again = Capture.from_json(c.to_json())
    assert again == c
    assert json.loads(c.to_json()) == json.loads(raw)


def test_recorded_capture_frames_leaf_first_with_native():
    c = Capture.from_json((DATA / "capture_deadlock_py311.json").read_text())
    worker = next(t for t in c.threads if t.name == "worker-a")
    kinds = [f.kind for f in worker.frames]
    assert kinds[0] == "native"  # the leaf is in libc/libpython
    py = worker.python_frames
    assert py[0].function == "t1" and py[0].line == 6
    assert worker.kernel.syscall.name == "futex"


def test_pyspy_json_conversion_and_redaction():
    data = json.loads((DATA / "pyspy" / "deadlock_py311_native_locals.json").read_text())
    data[0]["frames"][-1]["locals"] = [
        {"name": "db_password", "repr": "'hunter2'", "arg": False},
        {"name": "count", "repr": "3", "arg": True},
    ]
    threads = threads_from_pyspy(data, redact=True)
    leaf_locals = threads[0].frames[-1].locals
    assert leaf_locals[0].redacted and leaf_locals[0].repr is None
    assert leaf_locals[1].repr == "3" and leaf_locals[1].is_arg
    unredacted = threads_from_pyspy(data, redact=False)
    assert unredacted[0].frames[-1].locals[0].repr == "'hunter2'"
    native = [f for t in threads for f in t.frames if f.kind == "native"]
    assert native and all(f.module for f in native)
    assert any(f.address is not None and f.function == "??" for f in native)


def test_missing_optional_fields_are_tolerated():
    c = Capture.from_dict({"schema": SCHEMA, "id": "x", "taken_at": 1.0, "threads": [{"frames": [{}]}]})
    assert c.host == "unknown"
    assert c.threads[0].frames[0].function == "?"
    assert c.process is None


@pytest.mark.parametrize(
    "doc",
    [
        {"schema": "other/1", "id": "x", "taken_at": 1},
        {"schema": "hangdump.capture/99", "id": "x", "taken_at": 1},
        {"schema": SCHEMA, "taken_at": 1},
        {"schema": SCHEMA, "id": "x"},
        {"schema": SCHEMA, "id": "x", "taken_at": "yesterday"},
        {"schema": SCHEMA, "id": "x", "taken_at": 1, "threads": {"a": 1}},
        {"schema": SCHEMA, "id": "x", "taken_at": 1, "threads": [{"tid": "12", "frames": []}]},
        {"schema": SCHEMA, "id": "x", "taken_at": 1, "process": {"rss": True}},
    ],
)
def test_wrong_documents_are_rejected(doc):
    with pytest.raises(CaptureFormatError):
        Capture.from_dict(doc)


def test_not_json():
    with pytest.raises(CaptureFormatError):
        Capture.from_json(b"\xff\xfe garbage")


def test_summary_groups_alike_threads_into_one_row():
    from dataclasses import replace

    from forensics.summary import render_full, render_summary

    c = Capture.from_json((DATA / "capture_deadlock_py311.json").read_text())
    worker = next(t for t in c.threads if t.name == "worker-a")
    pool = tuple(replace(worker, tid=1000 + i, name=f"pool-{i}") for i in range(50))
    big = c.with_changes(threads=c.threads + pool)
    summary = render_summary(big)
    assert "worker-a +50 alike" in summary  # the 50 copies join the original thread's row
    assert len(summary.splitlines()) < 20
    assert "pool-49" in render_full(big)  # show keeps every thread


def test_compact_text_is_exactly_what_json_dumps_writes():
    """to_json builds the text from pieces (a shared frame encoded once): the bytes must be json.dumps' own."""
    shared = {"name": "wait\u202e\x1b", "filename": "/srv/app/\u00e9t\u00e9.py", "line": 3}
    own = {"name": "run", "filename": "/srv/app/jobs.py", "line": 9, "locals": [{"name": "k", "repr": "'\\udcff'"}]}
    dump = [{"thread_id": i, "os_thread_id": 100 + i, "thread_name": ["", "w\n", None][i % 3], "owns_gil": False,
             "frames": [shared, own, {"name": "0x7f00", "module": "/lib/libc.so.6"}]} for i in range(4)]
    c = Capture(id="c", host="h", pid=1, taken_at=1.5, method="py-spy", threads=threads_from_pyspy(dump),
                options={"native": True}, tool_versions={"py-spy": "0.4"})
    assert c.threads[0].frames[0] is c.threads[3].frames[0]
    for capture in (c, c.with_changes(threads=()), Capture.from_json((DATA / "capture_deadlock_py311.json").read_text())):
        assert capture.to_json() == json.dumps(capture.to_dict(), separators=(",", ":"), ensure_ascii=False)

"""termsafe.capture: every string of a capture escaped, wherever it sits; nothing copied that needs no escape."""
from __future__ import annotations

from dataclasses import replace

from forensics.model import SCHEMA, Capture
from forensics.termsafe import capture, escape

FORGE = "\r\n  verdict: nothing wrong\x1b[2J\u202e\x9b\udcff"


def pool(name: str = "worker", function: str = "fetch", worker: dict | None = None) -> Capture:
    """Three threads sharing their frames (as the py-spy importer builds a pool), with kernel state and a local."""
    frames = [{"kind": "python", "function": function, "file": "/srv/app/jobs.py", "line": 7,
               "locals": [{"name": "order", "repr": "'o-1'"}]},
              {"kind": "native", "function": "start_thread", "module": "/lib/libc.so.6"}]
    threads = [{"tid": i, "name": f"{name}-{i}", "frames": frames,
                "kernel": {"state": "S", "wchan": "futex_wait", "syscall": {"nr": 202, "name": "futex", "args": [1]}}}
               for i in range(3)]
    c = Capture.from_dict({"schema": SCHEMA, "id": "c1", "taken_at": 1.0, "method": "py-spy", "pid": 7,
                           "threads": threads, "tool_versions": {"py-spy": "0.4.0"},
                           "process": {"cmdline": ["python", "jobs.py"], "worker": worker or {}}})
    return c.with_changes(threads=tuple(replace(t, frames=c.threads[0].frames) for t in c.threads))


def strings(value) -> list[str]:
    """Every string in a capture, dict keys included."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in strings(k) + strings(v)]
    if isinstance(value, (list, tuple)):
        return [s for v in value for s in strings(v)]
    fields = getattr(type(value), "__dataclass_fields__", None)
    return [s for f in fields for s in strings(getattr(value, f))] if fields else []


def test_a_capture_with_nothing_to_escape_is_returned_itself():
    c = pool()
    assert capture(c) is c


def test_every_string_is_escaped_and_only_what_holds_one_is_copied():
    c = pool(function="fetch" + FORGE, worker={"task" + FORGE: {"name": "charge" + FORGE}, "role": "child"})
    c = c.with_changes(host="h" + FORGE, errors=("e" + FORGE,))
    shown = capture(c)
    assert [s for s in strings(shown) if escape(s) != s] == []
    assert shown.host == "h" + escape(FORGE) and shown.errors == ("e" + escape(FORGE),)
    assert shown.threads[1].frames[0].function == "fetch" + escape(FORGE)
    assert shown.process.worker == {"task" + escape(FORGE): {"name": "charge" + escape(FORGE)}, "role": "child"}
    # the shared frame is escaped once and stays shared; what needed nothing is the original object
    assert shown.threads[0].frames[0] is shown.threads[2].frames[0]
    assert shown.threads[0].frames[1] is c.threads[0].frames[1]
    assert shown.threads[0].kernel is c.threads[0].kernel
    # the input is left as it was
    assert c.threads[0].frames[0].function == "fetch" + FORGE

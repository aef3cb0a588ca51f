"""What the report derives per capture: roles from process facts, the watchdog's follow-up, flame graph boxes."""
from __future__ import annotations

import json
from pathlib import Path

from forensics.identity import ProcessIdentity
from forensics.report import build, facts, flame
from forensics.report.payload import Payload
from forensics.watch.events import Events
from forensics.watch.journal import Journal

DATA = Path(__file__).parent.parent / "data"


def _doc(ident: str, pid: int, ppid: int, cmdline: list[str], children=(), host: str = "vm", worker=None) -> dict:
    d = json.loads((DATA / "capture_deadlock_py311.json").read_text())
    d.update(id=ident, pid=pid, host=host)
    d["process"] = dict(d.get("process") or {}, ppid=ppid, cmdline=cmdline, children=list(children))
    if worker:
        d["process"]["worker"] = worker
    return d


def test_roles_follow_ppid_relations_and_the_framework_of_the_command_line():
    p = Payload()
    celery = ["python", "-m", "celery", "-A", "app", "worker"]
    gunicorn = ["python", "/venv/bin/gunicorn", "app:wsgi"]
    for doc in (
        _doc("a", 100, 1, celery, children=[101]),  # the master says it has children
        _doc("b", 101, 100, celery),
        _doc("c", 200, 1, gunicorn),  # its child was captured: a parent though its own capture lists none
        _doc("d", 201, 200, gunicorn),
        _doc("e", 300, 1, ["python", "job.py"]),
        _doc("f", 201, 100, celery, host="other"),  # same pids on another host: no relation
    ):
        p.add(doc)
    assert facts.roles([p.role_facts(i) for i in range(len(p.ids))]) == ["master", "pool child", "arbiter", "worker", None, None]


def test_roles_and_tasks_the_capture_says_win():
    p = Payload()
    gunicorn = ["python", "/venv/bin/gunicorn", "app:wsgi"]
    p.add(_doc("a", 10, 1, gunicorn, worker={"framework": "gunicorn", "role": "child", "request": "GET /slow"}))
    p.add(_doc("b", 11, 1, ["celery", "beat"], worker={"framework": "celery", "role": "beat", "task": "t.nightly"}))
    assert facts.roles([p.role_facts(i) for i in range(len(p.ids))]) == ["worker", "beat"]
    assert [p.strings[c[14]] for c in p.captures] == ["GET /slow", "t.nightly"]


def test_followup_reads_what_the_watchdog_journaled_for_the_captured_process(tmp_path):
    journal = Journal(str(tmp_path / "watch" / "journal.jsonl"))
    hung, other = ProcessIdentity(100, 5000), ProcessIdentity(100, 9000)  # pid reused by a later process
    journal.note(hung, "captured", capture_id="cap-1")
    journal.note(hung, "signal", mono=12.0, signal="SIGTERM")
    journal.note(hung, "kill", mono=22.0)
    journal.note(other, "captured", capture_id="cap-2")
    assert facts.followups(str(tmp_path), ["cap-1", "cap-2", "cap-3"]) == {
        "cap-1": "the watchdog signalled SIGTERM, then the watchdog killed it (SIGKILL)"}
    assert facts.followups(str(tmp_path / "nowhere"), ["cap-1"]) == {}
    # with the watchdog's event log (written by its Events), the exit is known too
    events = Events(str(tmp_path / "events.jsonl"), quiet=True)
    events.emit("captured", hung, capture_id="cap-1")
    events.emit("exited", hung, after="SIGTERM")
    events.emit("exited", other, after="SIGKILL")  # the later process with the same pid (cap-2), not signalled
    assert facts.followups(str(tmp_path), ["cap-1", "cap-2"], str(tmp_path / "events.jsonl")) == {
        "cap-1": "the watchdog signalled SIGTERM, then the watchdog killed it (SIGKILL), then the process exited (after SIGTERM)",
        "cap-2": "the process exited (after SIGKILL)"}


def test_interpreter_frames_fold_and_unresolved_runs_collapse_per_library():
    stack = [("?? [libc.so.6]", False), ("?? [libc.so.6]", False), ("take_gil [python3.11]", False),
             ("_PyEval_EvalFrameDefault [python3.11]", True), ("acquire (app.py)", False),
             ("?? [libfoo.so]", False), ("?? [libc.so.6]", False)]
    assert flame.stack_labels(stack) == (
        "?? [libc.so.6]", "take_gil [python3.11]", "acquire (app.py)", "?? [libfoo.so]", "?? [libc.so.6]")
    assert "_PyEval_EvalFrameDefault [python3.11]" in flame.stack_labels(stack, interpreter=True)
    for name in ("_PyEval_EvalFrameDefault", "PyObject_Vectorcall", "_PyObject_MakeTpCall", "method_vectorcall_NOARGS",
                 "cfunction_vectorcall_O", "_PyFunction_Vectorcall", "slot_tp_call"):
        assert flame.interpreter_frame("native", name), name
    for name in ("take_gil", "clock_nanosleep", "recv", "PyThread_acquire_lock_timed", "lock_PyThread_acquire_lock"):
        assert not flame.interpreter_frame("native", name), name
    assert not flame.interpreter_frame("python", "_PyEval_EvalFrameDefault")


def test_readable_representative_has_python_frames_and_does_not_start_unresolved():
    p = Payload()
    good = _doc("good", 1, 0, ["python"])
    for t in good["threads"]:
        t["frames"] = [f for f in t["frames"] if f.get("function") != "??"]
    bad = json.loads(json.dumps(good))
    bad.update(id="bad", pid=2)
    for t in bad["threads"]:
        t["frames"] = [{"kind": "native", "function": "??", "module": "/lib/libc.so.6", "address": 1}] + t["frames"]
    first, second = p.add(bad), p.add(good)
    assert build.readable_member(p, [first, second], preferred=first) == second
    assert build.readable_member(p, [first, second], preferred=second) == second


def test_a_report_shows_what_the_watchdog_did_after_a_capture(tmp_path):
    from forensics.report import render
    from forensics.store.local import LocalStore

    store = LocalStore(tmp_path)
    doc = _doc("x", 100, 1, ["python", "worker.py"])
    doc["id"] = "20261124T000000.000Z-vm-100-000001"
    store.captures_dir.mkdir(parents=True)
    (store.captures_dir / f"{doc['id']}.json").write_text(json.dumps(doc))
    journal = Journal(str(tmp_path / "watch" / "journal.jsonl"))
    journal.note(ProcessIdentity(100, 7), "captured", capture_id=doc["id"])
    journal.note(ProcessIdentity(100, 7), "signal", mono=1.0, signal="SIGTERM")
    built = build.build_report(store, progress=False)
    page = render.read_payload(built.html)
    assert page["s"][page["c"][0][15]] == "the watchdog signalled SIGTERM"
    assert 'class="kill"' in built.html  # marked on the timeline

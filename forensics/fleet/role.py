"""What a captured worker is in its pool (master, child, beat) and what it was running, for every capture.

Celery's master and children, like gunicorn's arbiter and workers, share one command line: the parent tells
them apart (a child's parent is a worker of the same framework). The task comes from the process's
heartbeat file (forensics.integrations.celery writes name, id and start), else from the watchdog trigger's
evidence, else from the frames' locals when ``--locals`` was taken: celery's tracer holds the task name
and id (``fast_trace_task(task, uuid, ...)``; ``trace_task(uuid, args, kwargs, request)``), a WSGI call its ``environ`` (method and path).
"""
from __future__ import annotations

import json
import os

from forensics import lazy
from forensics.records import replace

_CELERY = lazy.compile(r"\bcelery(d:|\b)")
_CELERY_CHILD = lazy.compile(r"ForkPoolWorker|celeryd:")
_CELERY_BEAT = lazy.compile(r"\bbeat\b")
_GUNICORN = lazy.compile(r"\bgunicorn\b")
_TRACERS = frozenset({"fast_trace_task", "_fast_trace_task", "trace_task"})  # celery/app/trace.py, by version
_REQUEST_TASK = lazy.compile(r"""["']task["']: ["']([^"']+)["']""")
_ENV_FIELD = lazy.compile(r"""["'](REQUEST_METHOD|PATH_INFO)["']: ["']([^"']*)["']""")
_ADDR = lazy.compile(r"""^\(["']([^"']+)["'], (\d+)\)$""")


def framework(cmdline: str) -> str | None:
    if _CELERY.search(cmdline):
        return "celery"
    if _GUNICORN.search(cmdline):
        return "gunicorn"
    return None


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return fh.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def role(kind: str, cmdline: str, parent_cmdline: str) -> str:
    """master, child or beat, from the command lines of the process and its parent."""
    if kind == "celery":
        if _CELERY_CHILD.search(cmdline) or framework(parent_cmdline) == "celery" and " worker" in parent_cmdline:
            return "child"
        if _CELERY_BEAT.search(cmdline) and " worker" not in cmdline:
            return "beat"
        return "master"
    return "child" if framework(parent_cmdline) == kind else "master"


def from_heartbeat(pid: int, start_ticks: int | None, taken_at: float, directory: str) -> dict:
    try:
        with open(os.path.join(directory, f"{pid}.json"), "rb") as fh:
            d = json.loads(fh.read())
    except (OSError, ValueError):
        return {}
    if not isinstance(d, dict) or (start_ticks is not None and d.get("start_ticks") != start_ticks):
        return {}
    out = {"state": d.get("state"), "source": "heartbeat"}
    if d.get("task") is not None:
        started = d.get("started_at")
        out.update(task=d.get("task"), task_id=d.get("task_id"), task_started_at=started,
                   task_age_s=round(taken_at - started, 2) if isinstance(started, (int, float)) else None)
    return out


def _unquote(text: str | None) -> str | None:
    if text and len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def from_locals(threads) -> dict:
    """The task (celery's tracer frame), the request (a WSGI ``environ``) or at least its client (gunicorn's
    ``handle_request(..., addr)``: py-spy cuts a dict's repr after three items) the frames' locals name."""
    found: dict = {}
    for t in threads:
        for f in t.frames:
            if not f.locals:
                continue
            values = {v.name: v.repr for v in f.locals if v.repr is not None}
            if f.function.rpartition(".")[2] in _TRACERS and ("uuid" in values or "task_id" in values):
                task = values.get("task", "")
                named = _REQUEST_TASK.search(values.get("request", ""))
                name = _unquote(task) if task[:1] in "'\"" and task else named.group(1) if named else None
                return {"task": name, "task_id": _unquote(values.get("uuid") or values.get("task_id")),
                        "source": "locals"}
            if "environ" in values:
                fields = dict(_ENV_FIELD.findall(values["environ"]))
                if "PATH_INFO" in fields:
                    return {"request": f"{fields.get('REQUEST_METHOD', '?')} {fields['PATH_INFO']}", "source": "locals"}
            addr = _ADDR.match(values.get("addr", ""))
            if f.function.endswith("handle_request") and addr:  # gunicorn's worker: a repr too short for the path
                found.setdefault("request_from", f"{addr.group(1)}:{addr.group(2)}")
    return {**found, "source": "locals"} if found else {}


def worker_facts(capture, heartbeat_dir: str | None = None) -> dict:
    from forensics.heartbeat import default_dir

    facts = capture.process
    cmd = " ".join(facts.cmdline) if facts else ""
    kind = framework(cmd)
    out: dict = {}
    if kind is not None:
        out.update(framework=kind, role=role(kind, cmd, _cmdline(facts.ppid) if facts and facts.ppid else ""))
    start = None
    try:
        with open(f"/proc/{capture.pid}/stat", "rb") as fh:
            start = int(fh.read().rpartition(b")")[2].split()[19])
    except (OSError, IndexError, ValueError):
        pass
    task = from_heartbeat(capture.pid, start, capture.taken_at, heartbeat_dir or default_dir())
    ev = capture.trigger.evidence or {}
    if not task.get("task") and ev.get("task"):
        task = {"task": ev["task"], "task_id": ev.get("task_id"), "task_started_at": ev.get("task_started_at"),
                "task_age_s": ev.get("task_age_s"), "source": "watchdog"}
    if not task.get("task"):
        task = {**task, **from_locals(capture.threads)} if capture.options.get("locals") else task
    out.update({k: v for k, v in task.items() if v is not None})
    return out if (kind is not None or "task" in out or "request" in out) else {}


def with_worker(capture):
    """The capture with ``process.worker`` filled in (unchanged when there is nothing to say)."""
    if capture.process is None or capture.pid is None or capture.process.worker:
        return capture
    facts = worker_facts(capture)
    return replace(capture, process=replace(capture.process, worker=facts)) if facts else capture


def worker_text(w: dict) -> str | None:
    """'celery child · task hd.charge (id 6f1c) for 12.4s (heartbeat)' for summary and show."""
    if not w:
        return None
    parts = [" ".join(x for x in (w.get("framework"), w.get("role")) if x) or "worker"]
    if w.get("task"):
        task = f"task {w['task']}" + (f" (id {w['task_id']})" if w.get("task_id") else "")
        if w.get("task_age_s") is not None:
            task += f" for {w['task_age_s']:g}s"
        parts.append(task)
    elif w.get("state") == "idle":
        parts.append("idle, waiting for work")
    if w.get("request"):
        parts.append(f"request {w['request']}")
    if w.get("request_from"):
        parts.append(f"request from {w['request_from']}")
    return " · ".join(parts) + (f"  ({w['source']})" if w.get("source") else "")


def tally(workers: list[dict]) -> list[str]:
    """Per cluster: how many of its captures were which role and task, most frequent first."""
    counts: dict[str, int] = {}
    for w in workers:
        if w:
            key = " ".join(x for x in (w.get("framework"), w.get("role"), w.get("task")) if x)
            counts[key] = counts.get(key, 0) + 1
    return [f"{k} x{n}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])]

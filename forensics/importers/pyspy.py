"""py-spy's ``dump --json`` output (a list of thread objects) to capture threads.

Shared by the live py-spy backend and ``hangdump import`` so both produce the same frames.
"""
from __future__ import annotations

import re
from typing import Any

from forensics.errors import CaptureFormatError
from forensics.model import Frame, Local, ThreadStack

SECRET_NAME = re.compile(r"passw|pwd|token|secret|key|auth|cookie|credential", re.IGNORECASE)
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+$")


def redact_local(local: Local) -> Local:
    if local.repr is not None and SECRET_NAME.search(local.name):
        return Local(name=local.name, repr=None, is_arg=local.is_arg, redacted=True)
    return local


def _frame(raw: Any, redact: bool) -> Frame:
    if not isinstance(raw, dict):
        raise CaptureFormatError("py-spy frame is not an object")
    name = raw.get("name")
    filename = raw.get("filename")
    module = raw.get("module")
    line = raw.get("line")
    native = module is not None
    address = None
    if isinstance(name, str) and _ADDRESS.match(name):
        address = int(name, 16)
        name = "??"
    raw_locals = raw.get("locals")
    local_vars = None
    if isinstance(raw_locals, list):
        local_vars = tuple(
            Local(name=str(v.get("name", "?")), repr=v.get("repr"), is_arg=bool(v.get("arg", False)))
            for v in raw_locals
            if isinstance(v, dict)
        )
        if redact:
            local_vars = tuple(redact_local(v) for v in local_vars)
    return Frame(
        kind="native" if native else "python",
        function=name if isinstance(name, str) and name else "?",
        file=filename if isinstance(filename, str) else None,
        line=line if isinstance(line, int) and not isinstance(line, bool) and line > 0 else None,
        module=module if isinstance(module, str) else None,
        address=address,
        locals=local_vars,
    )


def looks_like_pyspy(data: Any) -> bool:
    return (
        isinstance(data, list)
        and all(isinstance(t, dict) for t in data)
        and all("frames" in t and ("thread_id" in t or "os_thread_id" in t) for t in data)
    )


def threads_from_pyspy(data: Any, redact: bool = True) -> tuple[ThreadStack, ...]:
    if not isinstance(data, list):
        raise CaptureFormatError("py-spy JSON must be a list of threads")
    threads = []
    # Pool threads repeat the same frames; converting each distinct frame once keeps big dumps cheap.
    seen: dict[tuple, Frame] = {}
    for raw in data:
        if not isinstance(raw, dict) or not isinstance(raw.get("frames"), list):
            raise CaptureFormatError("py-spy thread without a frames list")
        frames = []
        for f in raw["frames"]:
            if isinstance(f, dict) and not f.get("locals"):
                key = (f.get("name"), f.get("filename"), f.get("module"), f.get("line"))
                frame = seen.get(key)
                if frame is None:
                    frame = seen[key] = _frame(f, redact)
            else:
                frame = _frame(f, redact)
            frames.append(frame)
        tid = raw.get("os_thread_id")
        threads.append(
            ThreadStack(
                tid=tid if isinstance(tid, int) else None,
                name=raw.get("thread_name") if isinstance(raw.get("thread_name"), str) else None,
                python_thread_id=raw.get("thread_id") if isinstance(raw.get("thread_id"), int) else None,
                active=raw.get("active") if isinstance(raw.get("active"), bool) else None,
                owns_gil=raw.get("owns_gil") if isinstance(raw.get("owns_gil"), bool) else None,
                frames=tuple(frames),
            )
        )
    return tuple(threads)


def pid_of(data: list) -> int | None:
    pids = {t.get("pid") for t in data if isinstance(t, dict) and isinstance(t.get("pid"), int)}
    return pids.pop() if len(pids) == 1 else None

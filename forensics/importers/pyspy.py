"""py-spy's ``dump --json`` output (a list of thread objects) to capture threads.

Shared by the live py-spy backend and ``hangdump import`` so both produce the same frames.
"""
from __future__ import annotations

import re

from forensics.errors import CaptureFormatError
from forensics.model import Frame, Local, ProcessFacts, ThreadStack
from forensics.records import replace
from forensics.redact import redact_argv, redact_local

TYPE_CHECKING = False  # what typing.TYPE_CHECKING is at run time; typing costs a capture ~5 ms to import
if TYPE_CHECKING:
    from typing import Any

_ADDRESS = re.compile(r"0x[0-9a-fA-F]+$")


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


# the text dump's lines, compiled on first use (re caches them): a live capture reads py-spy's JSON, never these
_PROCESS = r"^Process (\d+): (.*)$"
_PYTHON = r"^Python v(\S+) \((.*)\)$"
_THREAD = r'^Thread (0x[0-9a-fA-F]+|\d+) \(([^)]*)\)(?:: "(.*)")?\s*$'
_FRAME = r"^    (\S.*?) \((.*)\)\s*$"
_VAR = r"^            ([^:]+): (.*)$"


def looks_like_pyspy_text(text: str) -> bool:
    return text.startswith("Process ") and "\nThread " in text


def parse_pyspy_text(text: str, redact: bool = True) -> tuple[int | None, ProcessFacts, tuple[ThreadStack, ...]]:
    """py-spy's default `dump` output (what people paste in tickets): pid, process facts and threads.

    Python frames look like ``func (file.py:12)``, native ones ``name (libfoo.so)`` or ``0x7f.. (lib)``;
    ``Arguments:``/``Locals:`` blocks follow a frame. Filenames are short unless --full-filenames was used.
    """
    pid: int | None = None
    facts = ProcessFacts()
    threads: list[ThreadStack] = []
    current: dict | None = None
    frames: list[Frame] = []
    local_vars: list[Local] = []
    is_arg = False

    def flush_frame() -> None:
        if frames and local_vars:
            f = frames[-1]
            frames[-1] = replace(f, locals=tuple(redact_local(v) if redact else v for v in local_vars))
        local_vars.clear()

    def flush_thread() -> None:
        flush_frame()
        if current is not None:
            threads.append(ThreadStack(frames=tuple(frames), **current))
        frames.clear()

    process, python, thread, frame, var = (re.compile(p) for p in (_PROCESS, _PYTHON, _THREAD, _FRAME, _VAR))
    for line in text.splitlines():
        if m := process.match(line):
            pid = int(m.group(1))
            argv = tuple(m.group(2).split())
            facts = replace(facts, cmdline=redact_argv(argv) if redact else argv)
        elif m := python.match(line):
            facts = replace(facts, python_version=m.group(1), exe=m.group(2))
        elif m := thread.match(line):
            flush_thread()
            ident, status = m.group(1), m.group(2)
            numeric = int(ident, 16) if ident.startswith("0x") else int(ident)
            current = {
                "tid": None if ident.startswith("0x") else numeric,
                "python_thread_id": numeric if ident.startswith("0x") else None,
                "name": m.group(3),
                "active": status.startswith("active"),
                "owns_gil": True if "gil" in status else None,  # the text says "+gil" only for the holder
            }
        elif line.strip() in ("Arguments:", "Locals:"):
            is_arg = line.strip() == "Arguments:"
        elif (m := var.match(line)) and frames:
            local_vars.append(Local(name=m.group(1).strip(), repr=m.group(2), is_arg=is_arg))
        elif (m := frame.match(line)) and current is not None:
            flush_frame()
            frames.append(_text_frame(m.group(1), m.group(2)))
    flush_thread()
    if not threads:
        raise CaptureFormatError("py-spy text dump without any thread")
    return pid, replace(facts, num_threads=len(threads)), tuple(threads)


def _text_frame(name: str, where: str) -> Frame:
    file, sep, line = where.rpartition(":")
    if sep and line.isdigit():
        return Frame(kind="python", function=name, file=file, line=int(line) or None)
    address = int(name, 16) if _ADDRESS.match(name) else None
    return Frame(kind="native", function="??" if address is not None else name, module=where, address=address)

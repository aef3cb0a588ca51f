"""Stacks aggregated for flame graphs: weighted stacks, an icicle tree rooted at the waits, folded lines.

Pure functions, captures in, plain data out. Frames are stored leaf first (``frames[0]`` is where the
thread waits), so an icicle rooted at the waits walks a stack in stored order, and a classic flame
graph (``flamegraph.pl``, speedscope) reverses it to start at the thread's entry point.
Frames merge by their label, which leaves the line number out: the same function waiting on two
different lines is one box (its lines stay visible in the capture views). The interpreter's own
native frames are folded into their Python frames, and runs of unsymbolized frames of one library
are one box (``stack_labels``).
"""
from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Callable, Iterable

from forensics.model import Capture, Frame, ThreadStack
from forensics.termsafe import escape

ThreadFilter = Callable[[Capture, ThreadStack], bool]


def frame_label(f: Frame) -> str:
    """A frame without its line: ``function (file.py)`` for Python, ``function [libfoo.so]`` for native code."""
    if f.kind == "native":
        where = os.path.basename(f.module or f.file or "")
        name = f.function if f.function != "??" or f.address is None else "??"
        return f"{name} [{where}]" if where else name
    return f"{f.function} ({os.path.basename(f.file)})" if f.file else f.function


# CPython's own native frames between two Python frames: the eval loop, the vectorcall protocol and the call
# shims of functions, methods, types and slots. They say "the interpreter called something", which the Python
# frame beside them already says; the flame graph folds them into it unless asked to show them.
INTERPRETER_FRAMES = re.compile(
    r"^(_?PyEval_\w*|_PyEval\w*|PyObject_Vectorcall\w*|_PyObject_\w*Call\w*|PyObject_Call\w*|_PyFunction_Vectorcall"
    r"|method_vectorcall\w*|cfunction_\w*|_PyCFunction\w*|slot_tp_\w*|vectorcall_\w*|type_call|_PyVectorcall\w*"
    r"|PyVectorcall_\w*|method_call|function_code_fastcall|_PyMethodDef_\w*|wrapper_call"
    r"|partial_\w*call\w*|pymain_\w*|Py_RunMain|Py_BytesMain|run_mod|run_eval_code_obj|PyRun_\w*|_PyRun_\w*"
    r"|_Py_Run\w*|pyrun_\w*|thread_run|t_bootstrap|pythread_wrapper|call_function|do_call_core|_PyEval_Vector)$"
)


def interpreter_frame(kind: str, function: str | None) -> bool:
    """A native frame of the interpreter itself (see ``INTERPRETER_FRAMES``), not of the code it runs."""
    return kind == "native" and bool(function) and INTERPRETER_FRAMES.match(function) is not None


def stack_labels(frames: Iterable[tuple[str, bool]], interpreter: bool = False) -> tuple[str, ...]:
    """The boxes of one stack (``(label, is_interpreter_frame)`` leaf first): interpreter frames folded into the
    Python frame beside them unless ``interpreter``, and a run of unresolved frames of one library ("?? [libc.so.6]")
    drawn as one box. The page's script does the same (report.js, ``labelsOf``) for its toggle."""
    out: list[str] = []
    for label, interp in frames:
        if interp and not interpreter:
            continue
        if out and label == out[-1] and label.startswith("??"):
            continue
        out.append(label)
    return tuple(out)


def has_frames(_capture: Capture, thread: ThreadStack) -> bool:
    return bool(thread.frames)


def weighted_stacks(
    captures: Iterable[Capture], include: ThreadFilter = has_frames
) -> Counter[tuple[str, ...]]:
    """How many threads (over all captures) show each stack of labels, leaf first."""
    counts: Counter[tuple[str, ...]] = Counter()
    labels: dict[tuple, str] = {}  # frame_label is the slow part; most frames repeat
    for c in captures:
        for t in c.threads:
            if t.frames and include(c, t):
                stack = []
                for f in t.frames:
                    key = (f.kind, f.function, f.file, f.module)
                    label = labels.get(key)
                    if label is None:
                        label = labels[key] = frame_label(f)
                    stack.append((label, interpreter_frame(f.kind, f.function)))
                counts[stack_labels(stack)] += 1
    return counts


def icicle(stacks: Iterable[tuple[tuple[str, ...], int]]) -> dict:
    """A tree ``{"name", "value", "children": [...]}`` rooted at the waits: depth 1 holds the leaf frames.

    The root is named "all"; each node's value is the number of threads whose stack passes through
    it; children are sorted by value, largest first, then by name, so the drawing is stable.
    """
    root: dict = {"name": "all", "value": 0, "children": {}}
    for labels, n in stacks:
        root["value"] += n
        node = root
        for label in labels:
            child = node["children"].get(label)
            if child is None:
                child = node["children"][label] = {"name": label, "value": 0, "children": {}}
            child["value"] += n
            node = child

    # frozen iteratively, children before parents: a stack is as deep as the program recursed (thousands)
    frozen: dict[int, dict] = {}
    order, todo = [], [root]
    while todo:
        node = todo.pop()
        order.append(node)
        todo.extend(node["children"].values())
    for node in reversed(order):
        kids = sorted(node["children"].values(), key=lambda k: (-k["value"], k["name"]))
        frozen[id(node)] = {"name": node["name"], "value": node["value"], "children": [frozen.pop(id(k)) for k in kids]}
    return frozen[id(root)]


def folded(stacks: Iterable[tuple[tuple[str, ...], int]]) -> str:
    """Brendan Gregg's folded format, root first: ``main;worker;acquire 12`` per line, sorted.

    A label's ";" would split a frame and its line breaks (or any control character) would forge lines: ";"
    becomes ":" and control characters are escaped.
    """
    lines = []
    for labels, n in stacks:
        names = [escape(label).replace(";", ":") for label in reversed(labels)]
        lines.append(f"{';'.join(names)} {n}")
    lines.sort()
    return "\n".join(lines) + ("\n" if lines else "")

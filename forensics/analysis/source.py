"""What locks a frame holds and waits for, read from its source file with ``ast``.

For a frame stopped at ``line`` of ``file``: the ``with X:`` statements whose body encloses the
line, and the ``X.acquire()`` calls earlier in the enclosing blocks with no ``X.release()``
after them, are held; a ``with X:`` or ``X.acquire()`` *on* the line is what the frame waits
for. Files that cannot be read (captured elsewhere, deployed away) give ``readable=False``,
recorded in the verdict's evidence, never an error. Parses are cached per (path, mtime, size).
"""
from __future__ import annotations

import ast
import os
from dataclasses import dataclass

_MAX_SOURCE = 4 << 20


@dataclass(frozen=True, slots=True)
class LockFacts:
    readable: bool
    holds: tuple[tuple[str, int], ...] = ()  # (expression, line where it was taken)
    waits_for: str | None = None
    statement: str | None = None  # the source line, stripped


_TREES: dict[tuple, tuple[ast.Module | None, list[str]]] = {}


def _tree(path: str) -> tuple[ast.Module | None, list[str]]:
    try:
        st = os.stat(path)
    except OSError:
        return None, []
    key = (path, st.st_mtime_ns, st.st_size)
    hit = _TREES.get(key)
    if hit is not None:
        return hit
    tree: ast.Module | None = None
    lines: list[str] = []
    if st.st_size <= _MAX_SOURCE:
        try:
            with open(path, "rb") as fh:
                text = fh.read().decode("utf-8", "replace")
            lines = text.splitlines()
            tree = ast.parse(text, filename=path)
        except (OSError, SyntaxError, ValueError, RecursionError):
            tree = None
    if len(_TREES) > 256:
        _TREES.clear()
    _TREES[key] = (tree, lines)
    return tree, lines


def _text(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except (AttributeError, ValueError, RecursionError):
        return "?"


def _lock_call(node: ast.AST, method: str) -> str | None:
    """``X.acquire()`` (possibly with arguments) -> ``X``."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == method:
        return _text(node.func.value)
    return None


def _bodies(stmt: ast.stmt) -> list[list[ast.stmt]]:
    out = []
    for field in ("body", "orelse", "finalbody"):
        b = getattr(stmt, field, None)
        if isinstance(b, list) and b and isinstance(b[0], ast.stmt):
            out.append(b)
    for h in getattr(stmt, "handlers", None) or ():
        out.append(h.body)
    for c in getattr(stmt, "cases", None) or ():
        out.append(c.body)
    return out


def lock_facts(path: str | None, line: int | None) -> LockFacts:
    if not path or not line:
        return LockFacts(readable=False)
    tree, lines = _tree(path)
    if tree is None:
        return LockFacts(readable=False)
    statement = lines[line - 1].strip() if 0 < line <= len(lines) else None
    held: list[tuple[str, int]] = []
    waits: str | None = None
    body: list[ast.stmt] = tree.body
    while body:
        nxt: list[ast.stmt] | None = None
        for stmt in body:
            end = getattr(stmt, "end_lineno", stmt.lineno) or stmt.lineno
            if end < line:
                name = _lock_call(stmt.value, "acquire") if isinstance(stmt, ast.Expr) else None
                if name:
                    held.append((name, stmt.lineno))
                name = _lock_call(stmt.value, "release") if isinstance(stmt, ast.Expr) else None
                if name:
                    for i in range(len(held) - 1, -1, -1):
                        if held[i][0] == name:
                            del held[i]
                            break
                continue
            if stmt.lineno > line:
                break
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                if isinstance(stmt, ast.ClassDef) or stmt.body[0].lineno <= line:
                    held = [] if not isinstance(stmt, ast.ClassDef) else held
                    nxt = stmt.body
                break
            if isinstance(stmt, (ast.With, ast.AsyncWith)):
                for item in stmt.items:
                    expr = item.context_expr
                    if (getattr(expr, "end_lineno", expr.lineno) or expr.lineno) < line:
                        held.append((_text(expr), expr.lineno))
                    elif expr.lineno <= line and waits is None:
                        waits = _text(expr)
                        break
            for node in ast.walk(stmt) if stmt.lineno == line or not _bodies(stmt) else ():
                name = _lock_call(node, "acquire")
                if name and getattr(node, "lineno", 0) == line:
                    waits = waits or name
            subs = [b for b in _bodies(stmt) if b[0].lineno <= line <= (getattr(b[-1], "end_lineno", 0) or 0)]
            nxt = subs[0] if subs else None
            if nxt is None and waits is None:
                for node in ast.walk(stmt):
                    name = _lock_call(node, "acquire")
                    if name and getattr(node, "lineno", 0) == line:
                        waits = name
                        break
            break
        body = nxt or []
    return LockFacts(readable=True, holds=tuple(held), waits_for=waits, statement=statement)

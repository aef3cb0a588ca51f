"""Where to read a frame's source when the capture was taken elsewhere (another host, a container, an install root).

``--source-root [CAPTURED_PREFIX=]LOCAL_DIR`` (config ``source_roots``): ``PREFIX=DIR`` maps captured paths under
PREFIX to DIR, as gdb's ``set substitute-path`` does; the user said so, it is taken as said. A bare ``DIR`` finds the
captured file by its longest trailing path under DIR (``.../site-packages/app/jobs.py`` -> ``DIR/app/jobs.py``); a
match by name alone may be another release of the file, so it is used only when the frame's line lies inside a
function of the frame's name there: a different release never gives wrong evidence, only none. A file that exists at
its captured path is read there, as before.
"""
from __future__ import annotations

import os

from forensics import lazy
from forensics.analysis.source import _tree
from forensics.records import field, record

ast = lazy.module("ast", globals())  # imported by the first parse (source._tree)


@record
class SourceRoots:
    """Parsed ``--source-root`` values: (captured prefix, local dir) pairs and bare dirs, in the order given."""

    prefixes: tuple[tuple[str, str], ...] = ()
    dirs: tuple[str, ...] = ()
    _index: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def parse(cls, specs: list[str] | tuple[str, ...], base: str | None = None) -> SourceRoots:
        """``base``: the directory relative DIRs are relative to (a roots file's own). ValueError names a bad one."""
        prefixes: list[tuple[str, str]] = []
        dirs: list[str] = []
        for spec in specs:
            prefix, eq, local = spec.rpartition("=") if "=" in spec else ("", "", spec)
            local = os.path.join(base, local) if base and not os.path.isabs(local) else local
            if not local or not os.path.isdir(local):
                raise ValueError(f"source root {spec!r}: {local or '(empty)'} is not a directory")
            if eq:
                if not prefix:
                    raise ValueError(f"source root {spec!r}: empty captured prefix")
                prefixes.append((prefix.rstrip("/") or "/", os.path.abspath(local)))
            else:
                dirs.append(os.path.abspath(local))
        # the longest prefix first: a more specific mapping wins
        return cls(tuple(sorted(prefixes, key=lambda p: -len(p[0]))), tuple(dirs))

    @classmethod
    def from_file(cls, path: str) -> SourceRoots:
        """A roots file: one ``CAPTURED_PREFIX=DIR`` (or ``DIR``) a line, DIR relative to the file's directory."""
        with open(path, encoding="utf-8") as fh:
            specs = [ln.strip() for ln in fh if ln.strip() and not ln.lstrip().startswith("#")]
        return cls.parse(specs, base=os.path.dirname(os.path.abspath(path)))

    def combined(self, other: SourceRoots) -> SourceRoots:
        """Both roots: the longest prefix first, then this one's bare dirs before the other's."""
        return SourceRoots(tuple(sorted(self.prefixes + other.prefixes, key=lambda p: -len(p[0]))),
                           self.dirs + other.dirs)

    def __bool__(self) -> bool:
        return bool(self.prefixes or self.dirs)

    def resolve(self, path: str | None, function: str | None, line: int | None) -> str | None:
        """The local file to read for a frame captured at ``path``; None when none is known."""
        if not path:
            return None
        for prefix, local in self.prefixes:
            if path == prefix or path.startswith(prefix.rstrip("/") + "/"):
                mapped = os.path.join(local, path[len(prefix):].lstrip("/"))
                if os.path.isfile(mapped):
                    return mapped
        if os.path.isfile(path):
            return path
        parts = [p for p in path.replace("\\", "/").split("/") if p]
        if not parts:
            return None
        found: list[tuple[int, str]] = []
        for d in self.dirs:
            for cand in self._files(d).get(parts[-1], ()):
                rel = os.path.relpath(cand, d).split(os.sep)
                same = 0
                while same < min(len(rel), len(parts)) and rel[-1 - same] == parts[-1 - same]:
                    same += 1
                found.append((same, cand))
        for _, cand in sorted(found, key=lambda x: -x[0]):
            if _defines(cand, function, line):
                return cand
        return None

    def _files(self, d: str) -> dict[str, list[str]]:
        """basename -> the files under ``d`` (walked once)."""
        idx = self._index.get(d)
        if idx is None:
            idx = {}
            for root, subdirs, files in os.walk(d):
                subdirs[:] = sorted(s for s in subdirs if not s.startswith(".") and s != "__pycache__")
                for f in sorted(files):
                    idx.setdefault(f, []).append(os.path.join(root, f))
            self._index[d] = idx
        return idx


NO_ROOTS = SourceRoots()


def _defines(path: str, function: str | None, line: int | None) -> bool:
    """The frame's line could be where that frame stopped in ``path``: inside a def of the frame's function name
    (``Class.method``: ``method``; a module's code, a lambda, a comprehension: anywhere), and on a call (a frame
    that waits is in a call: a ``with`` calls ``__enter__``). A release whose lines moved inside the function puts
    the line on a ``return`` or a blank, and is refused."""
    tree, lines = _tree(path)
    if tree is None or not line or not function or line > len(lines):
        return False
    name = function.rsplit(".", 1)[-1]
    scopes = [tree] if name.startswith("<") else [
        n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name
        and n.lineno <= line <= (n.end_lineno or n.lineno)]
    return any(isinstance(n, (ast.Call, ast.withitem)) and _spans(n, line) for scope in scopes
               for n in ast.walk(scope))


def _spans(node: ast.AST, line: int) -> bool:
    if isinstance(node, ast.withitem):
        node = node.context_expr
    return node.lineno <= line <= (getattr(node, "end_lineno", None) or node.lineno)

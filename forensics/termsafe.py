"""Text from captures made safe for a terminal: every control character shown as an escape, never sent raw.

Thread and function names, file names, hosts, command lines and lock names come from the processes and files
we read, which anyone can shape. Sent raw, an ESC sequence clears the screen or sets the window title, a CR or
LF inside a field forges a row of the summary ("verdict: nothing wrong"), and a bidi override reorders what
the reader sees. So every terminal view passes each such string through ``escape``, TTY or not (a pager or a
log shown later is a terminal too). Only the views' own line breaks stay raw, so text that spans lines (a
verdict) is built from an escaped capture (``capture``), never escaped after the fact.
"""
from __future__ import annotations

import functools
import re

from forensics.records import field_names, replace

TYPE_CHECKING = False  # what typing.TYPE_CHECKING is at run time; typing costs a capture ~5 ms to import
if TYPE_CHECKING:
    from typing import Any

    from forensics.model import Capture

# C0 and C1 controls and DEL; bidi embeddings, overrides, isolates and marks; line and paragraph separators;
# lone surrogates (a name read with surrogateescape), which a UTF-8 terminal stream cannot even encode
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff"
_CLASSES = {"unsafe": f"[\x00-\x1f{_BEYOND_C0}]", "json": f"[{_BEYOND_C0}]"}  # json.dumps escapes C0 itself


@functools.cache
def _pattern(which: str) -> re.Pattern[str]:
    """Compiled on first use: the two classes cost ~9 M instructions to compile, on every capture's start-up,
    and a summary of well-behaved names never needs the first."""
    return re.compile(_CLASSES[which])
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}


def _shown(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def escape(text: str) -> str:
    """``text`` with every control, bidi and separator character written as a visible escape (``\\x1b``).

    Every such character is one ``str.isprintable`` rejects (a check in C): printable text is returned itself."""
    return text if text.isprintable() else _pattern("unsafe").sub(_shown, text)


def json_text(text: str) -> str:
    """JSON text from ``json.dumps(ensure_ascii=False)`` with the characters it leaves raw (C1, bidi, lone
    surrogates) written as JSON's ``\\uXXXX`` escapes. They occur only inside strings, where an escape means
    the same character: the document is unchanged.
    """
    return _pattern("json").sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def capture(c: Capture) -> Capture:
    """The capture with every string escaped: what the terminal views render and analyse.

    Only what holds such a character is copied (``replace`` up the path to it): a capture from a
    well-behaved process is returned as it is, its frames still shared between threads, with no copy made."""
    return _escaped(c, {})


_SCALARS = frozenset({int, float, bool, type(None)})


def _escaped(value: Any, memo: dict[int, Any]) -> Any:
    """``value`` with every string in it (dict keys too) escaped; the same object where nothing changed.

    Generic over the model (each field of a record is walked), so a field added later cannot slip through.
    ``memo`` (id -> result) visits a record shared between threads (a pool's frames) once."""
    kind = type(value)
    if kind is str:
        return escape(value)
    if kind in _SCALARS:
        return value
    if kind is tuple or kind is list:
        for i, item in enumerate(value):
            if type(item) not in _SCALARS and _escaped(item, memo) is not item:  # (syscall args: no call each)
                return kind([*value[:i], *(_escaped(v, memo) for v in value[i:])])
        return value
    if kind is dict:
        for k, v in value.items():
            if _escaped(k, memo) is not k or _escaped(v, memo) is not v:
                return {_escaped(k, memo): _escaped(v, memo) for k, v in value.items()}
        return value
    done = memo.get(id(value))
    if done is not None:
        return done
    names = field_names(kind)
    if names is None:
        return value  # no string in it to show (what the JSON copy passed through unchanged)
    changes = {}
    for name in names:
        old = getattr(value, name)
        if type(old) in _SCALARS:  # most fields of a thread's kernel state: no call for them
            continue
        new = _escaped(old, memo)
        if new is not old:
            changes[name] = new
    if changes:
        done = replace(value, **changes)
    else:
        done = value
    memo[id(value)] = done
    return done

"""Text from captures made safe for a terminal: every control character shown as an escape, never sent raw.

Thread and function names, file names, hosts, command lines and lock names come from the processes and files
we read, which anyone can shape. Sent raw, an ESC sequence clears the screen or sets the window title, a CR or
LF inside a field forges a row of the summary ("verdict: nothing wrong"), and a bidi override reorders what
the reader sees. So every terminal view passes each such string through ``escape``, TTY or not (a pager or a
log shown later is a terminal too). Only the views' own line breaks stay raw, so text that spans lines (a
verdict) is built from an escaped capture (``capture``), never escaped after the fact.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from forensics.model import Capture

# C0 and C1 controls and DEL; bidi embeddings, overrides, isolates and marks; line and paragraph separators;
# lone surrogates (a name read with surrogateescape), which a UTF-8 terminal stream cannot even encode
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
_UNSAFE_IN_JSON = re.compile(f"[{_BEYOND_C0}]")  # json.dumps escapes C0 itself; a raw LF is the layout's
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\x1b": "\\x1b"}


def _shown(match: re.Match[str]) -> str:
    ch = match.group()
    named = _NAMED.get(ch)
    if named is not None:
        return named
    return f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"


def escape(text: str) -> str:
    """``text`` with every control, bidi and separator character written as a visible escape (``\\x1b``)."""
    return _UNSAFE.sub(_shown, text)


def json_text(text: str) -> str:
    """JSON text from ``json.dumps(ensure_ascii=False)`` with the characters it leaves raw (C1, bidi, lone
    surrogates) written as JSON's ``\\uXXXX`` escapes. They occur only inside strings, where an escape means
    the same character: the document is unchanged.
    """
    return _UNSAFE_IN_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def document(value: Any) -> Any:
    """A copy of a JSON value with every string (keys too) escaped; walked with an explicit stack."""
    if not isinstance(value, (dict, list)):
        return escape(value) if isinstance(value, str) else value
    top = {} if isinstance(value, dict) else []
    todo: list[tuple[Any, Any]] = [(value, top)]
    while todo:
        src, dst = todo.pop()
        items = src.items() if isinstance(src, dict) else enumerate(src)
        for key, item in items:
            if isinstance(item, (dict, list)):
                copy: Any = {} if isinstance(item, dict) else []
                todo.append((item, copy))
            else:
                copy = escape(item) if isinstance(item, str) else item
            if isinstance(dst, dict):
                dst[escape(key) if isinstance(key, str) else key] = copy
            else:
                dst.append(copy)
    return top


def capture(c: Capture) -> Capture:
    """The capture with every string escaped: what the terminal views render and analyse."""
    from forensics.model import Capture

    return Capture.from_dict(document(c.to_dict()))

"""The report's captures as the analysis cache keeps them: each capture's part of the page encoded once, in its own
indices, and joined as it is by every later report (a report of a month is then little more than reading the cache).

The page's payload (version 2; ``payload.py`` describes version 1, which the page's script rebuilds from it):

    v  2
    s  strings of the report itself (cluster ids, roles, follow-ups); the pieces' strings come after them
    p  pieces, one per capture, oldest first: ``Payload.alone`` of that capture alone, [strings, frames, locals,
       stacks, capture], every index its own; the capture's cluster, role and follow-up are -1
    x  per capture: [cluster, role, follow-up] (indices into ``s``, -1: none)
    g  clusters: [[id, members], ...], ranked; their flame graphs (and ``a``) are drawn by the page from the stacks

The page's script (report.js, ``load``) and ``expand`` (for tests) turn it into version 1, interning the pieces'
strings, frames and stacks again: work a browser does in a blink, and the report's writer not at all.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from forensics.report.payload import Payload, Strings


@dataclass(frozen=True, slots=True)
class Piece:
    """One capture's part of the page, and what the report decides from it without reading the part."""

    text: bytes  # JSON of ``Payload.alone``, ASCII
    start_time: float | None
    facts: tuple  # Payload.role_facts without host and pid: (ppid, framework, role told, has children)
    readable: tuple[bool, bool]  # Payload.readability

    def meta(self) -> list:
        """The JSON form of everything but the text, and the text's checksum (``checksum``)."""
        return [self.start_time, list(self.facts), list(self.readable), checksum(self.text)]


def checksum(text: bytes) -> str:
    """A piece read back from the cache must be the one written: a torn or damaged text is never joined in."""
    return hashlib.sha256(text).hexdigest()[:16]


def piece(doc: dict, idle: Iterable[int], verdicts: Iterable[tuple[str, str]], site: str | None,
          checked: dict[tuple, tuple] | None = None) -> Piece:
    """One checked capture document with its analysis, encoded alone; CaptureFormatError as ``Payload.add``.
    ``checked``: the frames the pieces made before this one checked (a month of captures repeats most frames)."""
    p = Payload(checked)
    p.add(doc)
    p.set_idle(0, idle)
    p.set_verdicts(0, verdicts, site)
    [(_, _, start_time)] = p.processes
    return Piece(json.dumps(p.alone(), separators=(",", ":")).encode(), start_time, p.role_facts(0)[2:],
                 p.readability(0))


class Pieces(Strings):
    """A report's captures, one ``Piece`` each: what ``render.render_payload`` needs of a ``Payload``, no tables
    (its strings are the report's own)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.hosts: list[str] = []
        self.taken: list[float] = []
        self.processes: set[tuple] = set()
        self.kinds: list[str | None] = []  # each capture's first verdict kind
        self.facts: list[tuple] = []  # Payload.role_facts
        self.readable: list[tuple[bool, bool]] = []
        self.texts: list[bytes] = []
        self.extra: list[list[int]] = []  # [cluster, role, follow-up]

    def add(self, ident: str, host: str, pid: int | None, taken_at: float, kind: str | None, p: Piece) -> int:
        self.ids.append(ident)
        self.hosts.append(host)
        self.taken.append(taken_at)
        self.processes.add((host, pid, p.start_time))
        self.kinds.append(kind)
        self.facts.append((host, pid, *p.facts))
        self.readable.append(p.readable)
        self.texts.append(p.text)
        self.extra.append([-1, -1, -1])
        return len(self.ids) - 1

    def role_facts(self, capture: int) -> tuple:
        return self.facts[capture]

    def readability(self, capture: int) -> tuple[bool, bool]:
        return self.readable[capture]

    def first_verdict(self, capture: int) -> str | None:
        return self.kinds[capture]

    def has_followup(self, capture: int) -> bool:
        return self.extra[capture][2] != -1

    def set_cluster(self, capture: int, cluster: int) -> None:
        self.extra[capture][0] = cluster

    def set_role(self, capture: int, role: str | None) -> None:
        self.extra[capture][1] = self.s(role)

    def set_followup(self, capture: int, text: str | None) -> None:
        self.extra[capture][2] = self.s(text)

    def encoded(self, clusters: Iterable[tuple[str, Iterable[int]]] = ()) -> bytes:
        """The page's JSON text; ``clusters``: (id, member capture indices), ranked."""
        groups = [[self.s(cid), list(members)] for cid, members in clusters]
        head = json.dumps({"v": 2, "s": self.strings, "x": self.extra, "g": groups}, separators=(",", ":"))
        return b"".join((head[:-1].encode(), b',"p":[', b",".join(self.texts), b"]}"))


def expand(doc: dict) -> dict:
    """A version 2 payload as the version 1 one the page's script rebuilds from it (for tests and benchmarks)."""
    p = Payload()
    for text in doc["s"]:
        p.s(text)
    for ci, (part, (cluster, role, followup)) in enumerate(zip(doc["p"], doc["x"])):
        p.absorb(part)
        c: Any = p.captures[ci]
        c[6], c[13], c[15] = cluster, role, followup
    return p.doc((p.strings[cid], members) for cid, members in doc["g"])

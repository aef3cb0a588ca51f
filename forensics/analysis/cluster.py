"""Cluster captures by hang cause: exact signatures first, then a merge of near-identical groups.

Stage 1 groups captures whose process signatures (``signature.py``) are equal. Stage 2 visits
groups from the largest down; a group joins the first *leader* (the largest group of an
existing cluster; never a member of it, so merges do not drift along chains) that matches:

* every core (non-parked) thread signature on either side has a counterpart on the other
  with ``thread_similarity >= threshold`` (same mechanism, position-weighted frame alignment;
  a thread caught running may match a stack that is the same path with its leaf trimmed);
* parked helper threads without counterpart exist on one side only (extra idle helpers are
  allowed, two different parked threads are two different bugs).

Over-grouping two bugs is worse than splitting one, so every rule errs towards splitting.
The result is ranked by distinct processes, hosts, days, then the gravity of the verdict, then captures.
"""
from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from forensics.analysis.classify import BenignRules, ThreadAnalysis
from forensics.analysis.normalize import normalize_frame
from forensics.analysis.signature import TOP_FRAMES, ProcessSignature, Runners, ThreadSignature, thread_similarity
from forensics.analysis.source_roots import NO_ROOTS, SourceRoots
from forensics.analysis.verdict import KIND_ORDER
from forensics.errors import CaptureFormatError

DEFAULT_THRESHOLD = 0.8
_PYVER = re.compile(r"/python(\d+\.\d+)")
_CAP = 12
Observer = Callable[[dict, list], None]  # (raw capture dict, its ThreadAnalysis list): see cluster()


@dataclass(frozen=True, slots=True)
class Member:
    """One capture of a cluster, as the report lists it (without its threads: a cluster keeps no capture)."""

    id: str
    source: str | None
    host: str | None
    pid: int | None
    taken_at: float | None
    python: str | None = None

    def to_dict(self) -> dict:
        return {"id": self.id, "source": self.source, "host": self.host, "pid": self.pid,
                "taken_at": self.taken_at, "python": self.python}


@dataclass(frozen=True, slots=True)
class StackLine:
    """One frame of a cluster's representative stack, normalized, as the report and ``clusters`` show it."""

    function: str
    module: str
    file: str | None
    line: int | None
    kind: str
    origin: str
    key: str
    blocking: bool = False

    def to_dict(self) -> dict:
        return {"function": self.function, "module": self.module, "file": self.file, "line": self.line,
                "kind": self.kind, "origin": self.origin, "key": self.key, "blocking": self.blocking}


@dataclass(frozen=True, slots=True)
class Cluster:
    """Captures of one hang cause, ranked by how widely it struck (processes, hosts, days, captures)."""

    id: str
    signature: ProcessSignature
    category: str
    verdict: str
    members: tuple[Member, ...]
    representative: str
    processes: int
    hosts: int
    days: int
    first_seen: float | None
    last_seen: float | None
    thread: str | None = None
    stack: tuple[StackLine, ...] = ()
    varies: dict[str, tuple[str, ...]] = field(default_factory=dict)
    title: str = ""  # the cluster's headline: category and culprit call site(s), no tid; unique among clusters

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "category": self.category,
            "verdict": self.verdict,
            "captures": len(self.members),
            "processes": self.processes,
            "hosts": self.hosts,
            "days": self.days,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "signature": [s.text() for s in self.signature.threads],
            "representative": self.representative,
            "thread": self.thread,
            "stack": [s.to_dict() for s in self.stack],
            "varies": {k: list(v) for k, v in self.varies.items()},
            "member_ids": [m.id for m in self.members],
            "sources": [m.source for m in self.members],
            "members": [m.to_dict() for m in self.members],
        }


@dataclass(frozen=True, slots=True)
class Spot:
    """Where one culprit thread waits: its innermost application frame's function key, line and directory."""

    function: str
    line: int | None
    directory: str | None
    name: str | None  # the thread's name


@dataclass(frozen=True, slots=True)
class Digest:
    """What clustering keeps of one capture (``digest``), so that a capture seen before need not be parsed or
    classified again: plain values and analysis dataclasses only (``store/cache.py`` keeps them by content)."""

    member: Member
    start_time: float | None
    richness: int
    blamed: tuple[ThreadAnalysis, ...]  # the threads the hang is blamed on (``blamed_threads``)
    spots: tuple[Spot, ...]  # the culprits' blocking frames, in thread order


def digest(raw: dict, threads: list, ref: Any = None) -> Digest:
    """One capture (its dict and ``analyze_threads`` of it) as clustering needs it; ``ref`` names it if it has no id."""
    from forensics.analysis import blamed_threads

    blamed = blamed_threads(threads)
    culprits = {t.index for t in blamed}
    raw_threads = raw.get("threads") if isinstance(raw.get("threads"), list) else []
    spots = []
    for ta in threads:
        if ta.index not in culprits or ta.blocking_frame is None:
            continue
        f = raw_threads[ta.index]["frames"][ta.blocking_frame]
        file = f.get("file")
        spots.append(Spot(ta.signature.frames[0] if ta.signature.frames else "?", f.get("line"),
                          os.path.dirname(file) if isinstance(file, str) else None, ta.name or None))
    ident = raw.get("id") if isinstance(raw.get("id"), str) else str(ref)
    host = raw.get("host") if isinstance(raw.get("host"), str) else None
    pid = raw.get("pid") if isinstance(raw.get("pid"), int) else None
    taken = raw.get("taken_at") if isinstance(raw.get("taken_at"), (int, float)) else None
    src = raw.get("source") if isinstance(raw.get("source"), str) else None
    member = Member(ident, src, host, pid, taken, _python_version(raw, raw_threads))
    return Digest(member, raw.get("start_time"), _richness(raw, raw_threads), blamed, tuple(spots))


class _Group:
    __slots__ = ("blamed", "evidence", "lines", "members", "merged", "names", "paths", "procs", "ref", "ref_score",
                 "rep_id", "sig")

    def __init__(self, sig: ProcessSignature, ref: Any, blamed: tuple = ()) -> None:
        self.sig = sig
        self.blamed = blamed  # the first member's blamed ThreadAnalysis: re-signed once the runners are known
        self.evidence: dict[ThreadSignature, set[str]] = {s: set(f) for s, f in sig.evidence}
        self.members: list[Member] = []
        self.procs: set = set()
        self.lines: dict[str, set] = {}
        self.paths: set = set()
        self.names: set[frozenset[str]] = set()  # each member's stuck thread names
        self.ref = ref  # the member with the richest evidence: a path or a raw dict, for the representative
        self.ref_score = -1
        self.rep_id = ""
        self.merged: list[_Group] = []


def _python_version(raw: dict, threads: list) -> str | None:
    p = raw.get("process")
    if isinstance(p, dict) and isinstance(p.get("python_version"), str):
        v = p["python_version"]
        return ".".join(v.split(".")[:2])
    for t in threads[:3]:
        if type(t) is not dict or not isinstance(t.get("frames"), list):
            continue
        for f in t["frames"][-6:]:
            if type(f) is dict and isinstance(f.get("file"), str):
                m = _PYVER.search(f["file"])
                if m:
                    return m.group(1)
    return None


def _richness(raw: dict, threads: list) -> int:
    """Prefer a representative with kernel state, native frames and a known Python version."""
    t0 = threads[0] if threads and type(threads[0]) is dict else {}
    opts = raw.get("options") if isinstance(raw.get("options"), dict) else {}
    return (2 if t0.get("kernel") else 0) + (1 if opts.get("native") else 0) + (1 if raw.get("process") else 0)


class _Clusterer:
    def __init__(self, rules: BenignRules | None, threshold: float, observe: Observer | None = None) -> None:
        from forensics.analysis import analyze_threads, process_signature

        self._analyze = analyze_threads
        self._sign = process_signature
        self.rules = rules
        self.threshold = threshold
        self.groups: dict[tuple, _Group] = {}
        self.observe = observe

    def add(self, raw: dict, ref: Any) -> None:
        threads = self._analyze(raw, self.rules)
        self.add_digest(digest(raw, threads, ref), ref)
        if self.observe is not None:
            self.observe(raw, threads)

    def add_digest(self, d: Digest, ref: Any) -> None:
        blamed = d.blamed
        key = tuple(sorted({(t.signature, t.chain, t.parked, t.category == "busy", t.family or "",
                             t.category == "gil-holder-blocked") for t in blamed}))
        g = self.groups.get(key)
        if g is None:
            g = self.groups[key] = _Group(self._sign(blamed, blamed=blamed), ref, blamed)
        m = d.member
        g.members.append(m)
        if d.richness > g.ref_score:
            g.ref, g.ref_score, g.rep_id = ref, d.richness, m.id
        g.procs.add((m.host, m.pid, d.start_time) if m.pid is not None else m.id)
        if len(g.lines) < 64:
            names = set()
            for spot in d.spots:
                s = g.lines.setdefault(spot.function, set())
                if len(s) < _CAP:
                    s.add(spot.line)
                if spot.directory is not None and len(g.paths) < _CAP:
                    g.paths.add(spot.directory)
                if spot.name:
                    names.add(spot.name)
            if len(g.names) < _CAP:
                g.names.add(frozenset(names))  # per member: what varies is which names differ between members

    # -- stage 2 -------------------------------------------------------------------------------
    def _sim(self, a: ThreadSignature, b: ThreadSignature, busy: frozenset) -> float:
        s = thread_similarity(a, b)
        if s < self.threshold and (a in busy or b in busy) and a.mechanism == b.mechanism == "":
            x, y = (a.frames, b.frames) if len(a.frames) >= len(b.frames) else (b.frames, a.frames)
            for k in range(len(x)):
                n = min(len(x) - k, len(y))
                if n > 0 and x[k:k + n] == y[:n]:
                    return max(s, self.threshold)
        return s

    @staticmethod
    def _compatible(ea: dict, eb: dict, sa: ThreadSignature, sb: ThreadSignature) -> bool:
        fa, fb = ea.get(sa), eb.get(sb)
        return not fa or not fb or bool(fa & fb)

    def match(self, ga: _Group, gb: _Group) -> float | None:
        a, b = ga.sig, gb.sig
        if not a.threads or not b.threads:
            return None
        busy = a.busy | b.busy
        ea, eb = ga.evidence, gb.evidence

        def best(s: ThreadSignature, others: tuple, mine: dict, theirs: dict) -> float:
            return max((self._sim(s, o, busy) for o in others if self._compatible(mine, theirs, s, o)), default=0.0)

        best_a = {s: best(s, b.threads, ea, eb) for s in a.threads}
        best_b = {s: best(s, a.threads, eb, ea) for s in b.threads}
        t = self.threshold
        if any(v < t for s, v in best_a.items() if s not in a.parked):
            return None
        if any(v < t for s, v in best_b.items() if s not in b.parked):
            return None
        lone_a = any(v < t for s, v in best_a.items() if s in a.parked)
        lone_b = any(v < t for s, v in best_b.items() if s in b.parked)
        if lone_a and lone_b:
            return None
        matched = [v for v in list(best_a.values()) + list(best_b.values()) if v >= t]
        return sum(matched) / len(matched) if matched else None

    def _absorb(self, into: _Group, g: _Group) -> None:
        into.members.extend(g.members)
        into.procs |= g.procs
        for fn, ls in g.lines.items():
            into.lines.setdefault(fn, set()).update(ls)
        into.paths |= g.paths
        into.names |= g.names
        for s, f in g.evidence.items():
            into.evidence.setdefault(s, set()).update(f)
        if g.ref_score > into.ref_score:
            into.ref, into.ref_score, into.rep_id = g.ref, g.ref_score, g.rep_id

    def _by_evidence(self) -> list[_Group]:
        """Stage 1b: one signature, evidence that agrees (or is missing, as in a capture without --native) -> one group."""
        buckets: dict[tuple, list[_Group]] = {}
        for g in self.groups.values():
            buckets.setdefault(g.sig.threads, []).append(g)
        out: list[_Group] = []
        for groups in buckets.values():
            groups.sort(key=lambda g: (-len(g.evidence), -len(g.members), g.sig.evidence))
            anchors: list[_Group] = []
            for g in groups:
                home = next((x for x in anchors if all(
                    self._compatible(x.evidence, g.evidence, s, s) for s in g.sig.threads)), None)
                if home is None:
                    anchors.append(g)
                else:
                    self._absorb(home, g)
            out.extend(anchors)
        return out

    def _resign(self) -> None:
        """Cut the runner frames the corpus shows (``Runners``) off every group's culprit chains."""
        runners = Runners.learn(t.chain for g in self.groups.values() for t in g.blamed if t.category != "busy")
        if not runners.dispatchers:
            return

        def sign(t: Any) -> ThreadSignature:
            chain = runners.cut(t.chain)
            if chain is None:
                return t.signature
            return ThreadSignature(t.signature.mechanism, chain[:TOP_FRAMES], chain[-1])

        for g in self.groups.values():
            g.sig = self._sign((), sign, blamed=g.blamed)
            g.evidence = {s: set(f) for s, f in g.sig.evidence}

    def merge(self) -> list[_Group]:
        self._resign()
        order = sorted(self._by_evidence(), key=lambda g: (-len(g.members), g.sig.key))
        leaders: list[_Group] = []
        # Two thread signatures reach the threshold only with the same mechanism and the same innermost frame (it
        # weighs 1 of at most 2.61 per side): a group is compared with the leaders sharing one, and with those
        # caught running (their leaf moves). Below 0.65 that no longer holds, and every leader is a candidate.
        by_key: dict[tuple[str, str], list[int]] = {}
        running: list[int] = []
        indexed = self.threshold >= 0.65
        for g in order:
            if indexed and not g.sig.busy:
                near = set(running)
                for sig in g.sig.threads:
                    near.update(by_key.get(_leaf_key(sig), ()))
                candidates = [leaders[i] for i in sorted(near)]
            else:
                candidates = leaders
            best, best_score = None, -1.0
            for lead in candidates:
                score = self.match(lead, g)
                if score is not None and score > best_score:
                    best, best_score = lead, score
            if best is None:
                for sig in g.sig.threads:
                    by_key.setdefault(_leaf_key(sig), []).append(len(leaders))
                if g.sig.busy:
                    running.append(len(leaders))
                leaders.append(g)
            else:
                best.merged.append(g)
                if g.ref_score > best.ref_score:
                    # the cluster is shown by its richest member: a live or native capture says what an imported
                    # dump of the same hang cannot (a lock wait, a recv), so its headline names the category
                    best.ref, best.ref_score, best.rep_id = g.ref, g.ref_score, g.rep_id
        return leaders


def _leaf_key(sig: ThreadSignature) -> tuple[str, str]:
    return sig.mechanism, sig.frames[0] if sig.frames else ""


def _stack(raw: dict, index: int, blocking: int | None) -> tuple[StackLine, ...]:
    t = raw["threads"][index]
    out = []
    for i, f in enumerate(t.get("frames") or []):
        if type(f) is not dict:
            continue
        nf = normalize_frame(f.get("kind"), f.get("function"), f.get("file"), f.get("module"))
        line = f.get("line") if isinstance(f.get("line"), int) else None
        file = f.get("file") if isinstance(f.get("file"), str) else None
        out.append(StackLine(nf.function, nf.module, file, line, nf.kind, nf.origin, nf.key, i == blocking))
        if len(out) >= 200:
            break
    return tuple(out)


def _unique_ids(clusters: list[Cluster]) -> list[Cluster]:
    """One signature whose C calls wait in different things (a sleep here, the GIL there) is two clusters
    with one digest: those take the evidence digest. Others keep the plain digest, stable as captures with
    and without native frames join."""
    from collections import Counter
    from dataclasses import replace

    seen = Counter(c.id for c in clusters)
    return [replace(c, id=c.signature.evidence_digest) if seen[c.id] > 1 else c for c in clusters]


def _finish(lead: _Group, raw: dict | None, rules: BenignRules | None, roots: SourceRoots = NO_ROOTS) -> Cluster:
    from forensics.analysis import analyze

    groups = [lead] + lead.merged
    members = tuple(sorted((m for g in groups for m in g.members), key=lambda m: (m.taken_at or 0, m.id)))
    procs = set().union(*(g.procs for g in groups))
    hosts = {m.host for m in members}
    days = {time.strftime("%Y-%m-%d", time.gmtime(m.taken_at)) for m in members if m.taken_at is not None}
    times = [m.taken_at for m in members if m.taken_at is not None]
    verdict, category, thread, stack, title = "", "unknown", None, (), ""
    if raw is not None:
        pa = analyze(raw, rules, roots=roots)  # the sources say what the representative waits in
        if pa.verdicts:
            v = pa.verdicts[0]
            verdict, category, title = v.text, v.kind, headline(v)
            pick = v.roles[0].thread if v.roles else None
        else:
            pick = None
        if pick is None:
            core = [t for t in pa.threads if not t.benign]
            pick = core[0].index if core else (pa.threads[0].index if pa.threads else None)
        if pick is not None:
            ta = next(t for t in pa.threads if t.index == pick)
            thread = ta.name
            stack = _stack(raw, ta.index, ta.blocking_frame)
    varies: dict[str, tuple[str, ...]] = {}
    pys = sorted({m.python for m in members if m.python})
    if len(pys) > 1:
        varies["python"] = tuple(pys)
    lines: dict[str, set] = {}
    for g in groups:
        for fn, ls in g.lines.items():
            lines.setdefault(fn, set()).update(ls)
    line_txt = [f"{fn}: " + ", ".join(str(x) for x in sorted(ls, key=lambda x: (x is None, x or 0)))
                for fn, ls in sorted(lines.items()) if len(ls) > 1]
    if line_txt:
        varies["lines"] = tuple(line_txt[:_CAP])
    if lead.merged:
        lead_set = set(lead.sig.threads)
        diff = sorted({s.text() for g in lead.merged for s in g.sig.threads if s not in lead_set})
        varies["frames"] = tuple(diff[:_CAP])
    paths = sorted(set().union(*(g.paths for g in groups)))
    if len(paths) > 1:
        varies["paths"] = tuple(paths[:_CAP])
    name_sets = set().union(*(g.names for g in groups))
    if len(name_sets) > 1:
        differing = set().union(*name_sets) - set.intersection(*(set(n) for n in name_sets))
        varies["thread_names"] = tuple(sorted(differing)[:_CAP])
    if len(hosts) > 1:
        varies["hosts"] = tuple(sorted(h or "?" for h in hosts)[:_CAP])
    return Cluster(
        id=lead.sig.digest,
        signature=lead.sig,
        category=category,
        verdict=verdict,
        members=members,
        representative=lead.rep_id,
        processes=len(procs),
        hosts=len(hosts),
        days=len(days),
        first_seen=min(times) if times else None,
        last_seen=max(times) if times else None,
        thread=thread,
        stack=stack,
        varies=varies,
        title=title or category,
    )


_TITLES = {
    "deadlock": "lock-order deadlock", "gil": "GIL held in a blocking C call", "io": "blocked read with no timeout",
    "lock": "lock never released", "queue": "queue wait nothing ends", "wait": "wait nothing ends",
    "join": "join of a thread that never ends", "subprocess": "child process never exits",
    "pool": "pool result never comes", "flock": "file lock held elsewhere", "busy": "busy loop",
    "sleep": "sleep", "idle": "idle by design", "unknown": "stuck, cause unknown",
}


def headline(v: Any) -> str:
    """``lock-order deadlock: settle() at billing.py:41 ↔ reconcile() at billing.py:88``: the kind and where the
    culprit threads are, never who they are (tids and thread names change with every capture)."""
    label = _TITLES.get(v.kind, v.kind)
    if v.kind == "gil":
        roles = [r for r in v.roles if r.category == "gil-holder-blocked"] or list(v.roles[:1])
    elif v.kind == "deadlock":
        roles = list(v.roles)
    else:
        roles = list(v.roles[:1])
    sites = []
    for r in roles:
        site = f"{r.function}() at {r.location}" if r.function else r.location
        if site not in sites:
            sites.append(site)
    return f"{label}: {' ↔ '.join(sites)}" if sites else label


def _unique_titles(clusters: list[Cluster]) -> list[Cluster]:
    """Two clusters never share a title: the signature's frames tell them apart, the id as a last resort."""
    from collections import Counter
    from dataclasses import replace

    seen = Counter(c.title for c in clusters)
    out = [replace(c, title=f"{c.title} (via {' / '.join(s.entry or s.text() for s in c.signature.threads[:2])})")
           if seen[c.title] > 1 else c for c in clusters]
    again = Counter(c.title for c in out)
    return [replace(c, title=f"{c.title} [{c.id}]") if again[c.title] > 1 else c for c in out]


def _rank(clusters: list[Cluster]) -> list[Cluster]:
    """Most distinct processes, hosts and days first; at a tie the graver kind (deadlock, GIL, ...) first."""
    def gravity(c: Cluster) -> int:
        return KIND_ORDER.index(c.category) if c.category in KIND_ORDER else len(KIND_ORDER)

    return sorted(clusters, key=lambda c: (-c.processes, -c.hosts, -c.days, gravity(c), -len(c.members), c.id))


def cluster(captures: Iterable[Any], rules: BenignRules | None = None,
            threshold: float = DEFAULT_THRESHOLD, observe: Observer | None = None,
            roots: SourceRoots = NO_ROOTS) -> list[Cluster]:
    """Cluster in-memory captures (``Capture`` objects or raw dicts).

    ``observe(raw, threads)``, when given, sees each capture's dict and its per-thread classification
    (``ThreadAnalysis`` list, as ``analyze_threads`` returns it) once, as clustering computes it.
    """
    from forensics.analysis import _as_dict

    c = _Clusterer(rules, threshold, observe)
    for cap in captures:
        raw = _as_dict(cap)
        c.add(raw, raw)
    return _rank(_unique_titles(_unique_ids([_finish(lead, lead.ref, rules, roots) for lead in c.merge()])))


def cluster_digests(digests: Iterable[tuple[Digest, Any]], load: Callable[[Any], dict | None],
                    rules: BenignRules | None = None, threshold: float = DEFAULT_THRESHOLD,
                    roots: SourceRoots = NO_ROOTS) -> list[Cluster]:
    """Cluster captures already digested, as (``digest``, ref) pairs; ``load(ref)`` gives the document of a
    cluster's representative (None if it is gone), the one capture per cluster analysed in full."""
    c = _Clusterer(rules, threshold)
    for d, ref in digests:
        c.add_digest(d, ref)
    return _rank(_unique_titles(_unique_ids([_finish(lead, load(lead.ref), rules, roots) for lead in c.merge()])))


def _load(path: str) -> dict:
    with open(path, "rb") as fh:
        data = json.loads(fh.read())
    if not isinstance(data, dict):
        raise CaptureFormatError("not a JSON object")
    schema = data.get("schema")
    if not isinstance(schema, str) or not schema.startswith("hangdump.capture/"):
        raise CaptureFormatError(f"not a hangdump capture (schema {schema!r})")
    if not isinstance(data.get("id"), str):
        raise CaptureFormatError("capture has no id")
    return data


def cluster_paths(
    paths: Iterable[str | os.PathLike],
    rules: BenignRules | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    on_skip: Callable[[str, str], None] | None = None,
    accept: Callable[[dict], bool] | None = None,
    observe: Observer | None = None,
    roots: SourceRoots = NO_ROOTS,
) -> list[Cluster]:
    """Cluster capture files: each is read and parsed once, classified from the raw dict, and dropped.

    Unreadable or foreign files go to ``on_skip(path, reason)``; ``accept(raw)`` filters; ``observe`` as in
    ``cluster``.
    """
    c = _Clusterer(rules, threshold, observe)
    for p in paths:
        path = os.fspath(p)
        try:
            raw = _load(path)
        except (OSError, ValueError, UnicodeDecodeError, RecursionError, CaptureFormatError) as exc:
            if on_skip is not None:
                on_skip(path, str(exc))
            continue
        if accept is not None and not accept(raw):
            continue
        try:
            c.add(raw, path)
        except (TypeError, KeyError, IndexError) as exc:  # malformed beyond what the scan tolerates
            if on_skip is not None:
                on_skip(path, f"malformed capture: {exc}")
    out = []
    for lead in c.merge():
        try:
            raw = _load(lead.ref)
        except (OSError, ValueError, UnicodeDecodeError, RecursionError, CaptureFormatError):
            raw = None
        out.append(_finish(lead, raw, rules, roots))
    return _rank(_unique_titles(_unique_ids(out)))

"""From the store to a report: read the captures (counting the unreadable ones), cluster them, render.

Shared by ``hangdump report``, ``hangdump serve`` and ``hangdump export`` so the three agree on
what a report contains.
"""
from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import click

from forensics.model import Capture, ThreadStack
from forensics.report import flame
from forensics.report.render import ClusterView, RepresentativeThread, StackLine
from forensics.store.local import Filter, LocalStore, Skipped


@dataclass
class Loaded:
    captures: list[Capture] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    raws: list[dict] = field(default_factory=list)  # each capture's JSON document, as read (for the analysis)


@contextmanager
def progress_bar(label: str, length: int, enabled: bool | None = None) -> Iterator[Callable[[Iterable], Iterable]]:
    """Wraps an iterable with click's progress bar on stderr, only when stderr is a terminal."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled or length < 2:
        yield lambda it: it
        return
    with click.progressbar(length=length, label=label, file=sys.stderr, show_pos=True) as bar:

        def wrap(it: Iterable) -> Iterator:
            for x in it:
                yield x
                bar.update(1)

        yield wrap


def load(store: LocalStore, flt: Filter | None = None, progress: bool | None = None) -> Loaded:
    """Every capture passing the filter, oldest first, with its JSON document, and every unreadable file."""
    loaded = Loaded()
    items = store.scan_raw(flt)
    with progress_bar("reading captures", len(store.paths()), progress) as wrap:
        for item in wrap(items):
            if isinstance(item, Skipped):
                loaded.skipped.append(item)
            else:
                loaded.captures.append(item[0])
                loaded.raws.append(item[1])
    return loaded


@dataclass(frozen=True)
class Analysis:
    """What the report needs from the analysis layer: ranked clusters and which threads are stuck."""

    clusters: tuple[ClusterView, ...] = ()
    stuck: Callable[[Capture, ThreadStack], bool] = flame.has_frames


VARIES_LABELS = {
    "python": "Python versions",
    "lines": "lines of the blocking frame",
    "frames": "frames that differ (merged near-identical stacks)",
    "paths": "install paths",
    "thread_names": "thread names",
    "hosts": "hosts",
}


def analyse(captures: list[Capture], raws: list[dict] | None = None, progress: bool | None = None) -> Analysis:
    """Cluster with ``forensics.analysis`` and keep, per capture, the threads it does not call idle by design.

    Every capture is turned into its JSON dict once and classified twice: once inside ``cluster``
    and once here for the flame graphs' stuck threads (the cluster API does not hand out its
    per-thread classification).
    """
    from forensics import analysis

    if raws is None or len(raws) != len(captures):
        raws = [c.to_dict() for c in captures]
    benign: dict[int, frozenset[int]] = {}
    with progress_bar("classifying threads", len(captures), progress) as wrap:
        for c, raw in wrap(zip(captures, raws)):
            benign[id(c)] = frozenset(t.index for t in analysis.analyze_threads(raw) if t.benign)
    index = {id(t): i for c in captures for i, t in enumerate(c.threads)}

    def stuck(c: Capture, t: ThreadStack) -> bool:
        idle = benign.get(id(c))
        return bool(t.frames) and (idle is None or index.get(id(t)) not in idle)

    by_id = {c.id: i for i, c in enumerate(captures)}
    views = tuple(_view(cl, captures, raws, by_id, stuck) for cl in analysis.cluster(raws))
    return Analysis(views, stuck)


def _view(cl, captures: list[Capture], raws: list[dict], by_id: dict[str, int], stuck) -> ClusterView:
    from forensics import analysis

    members = tuple(by_id[m.id] for m in cl.members if m.id in by_id)
    rep_index = by_id.get(cl.representative, members[0] if members else None)
    threads: list[RepresentativeThread] = []
    varying_keys = {entry.split(": ", 1)[0] for entry in cl.varies.get("lines", ())}
    if rep_index is not None:
        rep, raw = captures[rep_index], raws[rep_index]
        pa = analysis.analyze(raw)
        by_index = {t.index: t for t in pa.threads}
        roles = pa.verdicts[0].roles if pa.verdicts and pa.verdicts[0].kind == cl.category else ()
        picks = [(r.thread, _role_text(r)) for r in roles if r.thread in by_index]
        if not picks:
            chosen = next((t for t in pa.threads if t.name == cl.thread and not t.benign), None)
            chosen = chosen or next((t for t in pa.threads if not t.benign), None)
            if chosen is not None:
                picks = [(chosen.index, chosen.detail or chosen.category)]
        for idx, role in picks:
            ta, thread = by_index[idx], rep.threads[idx]
            lines = []
            for i, f in enumerate(thread.frames):
                nf = analysis.normalize_frame(f.kind, f.function, f.file, f.module)
                lines.append(StackLine(f, blocking=i == ta.blocking_frame, app=nf.origin == "app",
                                       varies=i == ta.blocking_frame and nf.key in varying_keys))
            threads.append(RepresentativeThread(thread.name or f"tid {thread.tid}", role, tuple(lines)))
    hosts = tuple(sorted({captures[m].host for m in members}))
    headline, _, rest = (cl.verdict or cl.category).partition("\n")
    return ClusterView(
        id=cl.id,
        kind=cl.category,
        headline=headline,
        explanation=cl.verdict if rest else "",
        members=members,
        processes=cl.processes,
        hosts=hosts,
        days=cl.days,
        first_seen=cl.first_seen if cl.first_seen is not None else 0.0,
        last_seen=cl.last_seen if cl.last_seen is not None else 0.0,
        threads=tuple(threads),
        varies=tuple((VARIES_LABELS.get(k, k), ", ".join(v)) for k, v in cl.varies.items() if v)
        if len(members) > 1 else (),
        stuck=stuck,
    )


def _role_text(role) -> str:
    parts = [role.category]
    if role.holds:
        parts.append("holds " + ", ".join(f"{h.name} ({h.where()})" for h in role.holds))
    if role.waits_for is not None:
        parts.append(f"waits for {role.waits_for.name} ({role.waits_for.where()})")
    return " · ".join(parts)


@dataclass(frozen=True)
class Built:
    html: str
    loaded: Loaded
    analysis: Analysis


def build_report(
    store: LocalStore,
    flt: Filter | None = None,
    title: str = "hangdump report",
    scope: str = "",
    progress: bool | None = None,
) -> Built:
    """The whole report of a store (filtered): what `hangdump report` writes and `hangdump demo` shows."""
    from forensics.report import render

    loaded = load(store, flt, progress)
    analysis = analyse(loaded.captures, loaded.raws, progress)
    with progress_bar("rendering", len(loaded.captures), progress) as wrap:
        html = render.render_report(
            loaded.captures, analysis.clusters, loaded.skipped, title=title, scope=scope,
            stuck=analysis.stuck, progress=wrap,
        )
    return Built(html, loaded, analysis)

"""From the store to a report: read the captures (counting the unreadable ones), cluster them, render.

Shared by ``hangdump report``, ``hangdump serve`` and ``hangdump export`` so the three agree on
what a report contains.
"""
from __future__ import annotations

import gc
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from forensics.errors import CaptureFormatError, StoreError
from forensics.model import Capture
from forensics.report import facts
from forensics.report.payload import Payload
from forensics.report.pieces import Pieces
from forensics.report.render import ClusterView, RepresentativeThread, StackLine
from forensics.store.fileio import parse_json
from forensics.store.local import Filter, LocalStore, Skipped

if TYPE_CHECKING:
    from forensics.analysis import BenignRules
    from forensics.analysis.source_roots import SourceRoots


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


@dataclass
class ReportData:
    """Every capture passing the filter, encoded for the page (oldest first), the ranked clusters, the skipped files.
    ``payload``: the captures' tables (``Payload``), or only their cached pieces of the page (``Pieces``)."""

    payload: Payload | Pieces
    clusters: tuple[ClusterView, ...] = ()
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.payload.ids)

    def stacks(self, members: Iterable[int] | None = None, all_threads: bool = False) -> Counter[tuple[str, ...]]:
        """Weighted label stacks (leaf first) of the stuck threads, or of every thread with frames, of some captures
        (of a ``collect`` with its tables)."""
        assert isinstance(self.payload, Payload), "collect(pieces=True) keeps no stacks"
        return self.payload.weighted(members, all_threads)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while the tables grow: each pass would walk every object built so far
    (a quarter of the build time at 10k captures). Documents are freed by reference counting as usual."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def collect(store: LocalStore, flt: Filter | None = None, progress: bool | None = None,
            rules: BenignRules | None = None, event_log: str | None = None, pieces: bool = False,
            roots: SourceRoots | None = None) -> ReportData:
    """Read, encode and cluster the store in one pass over its files; no ``Capture`` object is built.

    Each capture comes with its analysis (``store/cache.py``: from the cache when its bytes were seen before, else
    classified once and cached), is encoded into the payload and dropped: memory holds the compact tables and the
    clustering's digests, not the documents. With ``pieces`` (the page alone: ``report``), each capture's part of
    the page also comes from the cache, encoded once in its life (``pieces.py``), and no tables are built. The
    representatives' files are read again, one per cluster. ``roots`` (``--source-root``): where the clusters'
    verdicts read sources captured elsewhere (each capture's own cached verdicts read them where they were captured).
    """
    from forensics import analysis
    from forensics.store.cache import analysed

    payload: Payload | Pieces = Pieces() if pieces else Payload()
    skipped: list[Skipped] = []
    paths: list[Path] = []
    enabled = sys.stderr.isatty() if progress is None else progress
    with _gc_paused(), progress_bar("reading captures", len(store.paths()) if enabled else 0, enabled) as wrap:

        def digests() -> Iterator[tuple[analysis.Digest, Path]]:
            for item in wrap(analysed(store, flt, rules, pieces, need_bytes=not pieces)):
                if isinstance(item, Skipped):
                    skipped.append(item)
                    continue
                path, data, doc, found, page = item
                if isinstance(payload, Pieces):
                    taken_at, host, pid, part = page  # type: ignore[misc]
                    payload.add(path.stem, host, pid, taken_at, found.verdicts[0][0] if found.verdicts else None, part)
                else:
                    try:
                        ci = payload.add(doc if doc is not None else parse_json(data))
                    except CaptureFormatError as exc:
                        skipped.append(Skipped(path, str(exc)))
                        continue
                    payload.set_idle(ci, found.idle)
                    payload.set_verdicts(ci, found.verdicts, found.site)
                paths.append(path)
                yield found.digest, path

        loaded: dict[Path, tuple[Capture, dict] | None] = {}  # representatives, read once for the analysis and _view

        def load(path: Path) -> tuple[Capture, dict] | None:
            if path not in loaded:
                loaded[path] = _representative(store, path)
            return loaded[path]

        clusters = analysis.cluster_digests(digests(), lambda path: (load(path) or (None, None))[1], rules=rules,
                                             **({"roots": roots} if roots else {}))
    for ci, role in enumerate(facts.roles([payload.role_facts(ci) for ci in range(len(payload.ids))])):
        payload.set_role(ci, role)
    by_id = {ident: i for i, ident in enumerate(payload.ids)}
    for ident, text in facts.followups(str(store.root), payload.ids, event_log).items():
        payload.set_followup(by_id[ident], text)
    views = tuple(_view(cl, payload, load, paths, by_id, rules, roots) for cl in clusters)
    return ReportData(payload, views, skipped)


VARIES_LABELS = {
    "python": "Python versions",
    "lines": "lines of the blocking frame",
    "frames": "frames that differ (merged near-identical stacks)",
    "paths": "install paths",
    "thread_names": "thread names",
    "hosts": "hosts",
}


def readable_member(payload: Payload | Pieces, members: Iterable[int], preferred: int | None,
                    limit: int = 256) -> int | None:
    """The member whose stuck threads read best (``Payload.readability``): Python frames, and no thread starting in
    an unresolved ``??`` frame; the analysis's choice (richest evidence) among equals. Looks at the first ``limit``
    members only."""
    best, best_score = preferred, None
    for ci in [preferred, *members][: limit + 1]:
        if ci is None:
            continue
        score = payload.readability(ci)
        if best_score is None or score > best_score:
            best, best_score = ci, score
    return best


def _representative(store: LocalStore, path: Path) -> tuple[Capture, dict] | None:
    try:
        doc, capture = store.read(path.stem)
    except (CaptureFormatError, StoreError):  # changed or removed since the scan
        return None
    return capture, doc



def _view(cl, payload: Payload | Pieces, load: Callable[[Path], tuple[Capture, dict] | None], paths: list[Path],
          by_id: dict[str, int], rules: BenignRules | None = None, roots: SourceRoots | None = None) -> ClusterView:
    from forensics import analysis

    members = tuple(by_id[m.id] for m in cl.members if m.id in by_id)
    rep_index = readable_member(payload, members, by_id.get(cl.representative, members[0] if members else None))
    threads: list[RepresentativeThread] = []
    varying_keys = {entry.split(": ", 1)[0] for entry in cl.varies.get("lines", ())}
    loaded = load(paths[rep_index]) if rep_index is not None else None
    if loaded is not None:
        rep, raw = loaded
        pa = analysis.analyze(raw, rules, **({"roots": roots} if roots else {}))
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
                if f.function == "??" and lines and lines[-1].frame.function == "??" and \
                        lines[-1].frame.module == f.module and i != ta.blocking_frame:
                    continue  # a run of unresolved frames of one library says no more than its first
                nf = analysis.normalize_frame(f.kind, f.function, f.file, f.module)
                lines.append(StackLine(f, blocking=i == ta.blocking_frame, app=nf.origin == "app",
                                       varies=i == ta.blocking_frame and nf.key in varying_keys))
            threads.append(RepresentativeThread(thread.name or f"tid {thread.tid}", role, tuple(lines)))
    hosts = tuple(sorted({payload.hosts[m] for m in members}))
    first, _, rest = (cl.verdict or cl.category).partition("\n")
    headline = cl.title or first
    return ClusterView(
        id=cl.id,
        kind=cl.category,
        headline=headline,
        explanation=cl.verdict if rest or headline != first else "",
        members=members,
        processes=cl.processes,
        hosts=hosts,
        days=cl.days,
        first_seen=cl.first_seen if cl.first_seen is not None else 0.0,
        last_seen=cl.last_seen if cl.last_seen is not None else 0.0,
        threads=tuple(threads),
        varies=tuple((VARIES_LABELS.get(k, k), ", ".join(v)) for k, v in cl.varies.items() if v)
        if len(members) > 1 else (),
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
    data: ReportData


def build_report(
    store: LocalStore,
    flt: Filter | None = None,
    title: str = "hangdump report",
    scope: str = "",
    progress: bool | None = None,
    rules: BenignRules | None = None,
    event_log: str | None = None,
    tasks_dir: str | None = None,
    roots: SourceRoots | None = None,
) -> Built:
    """The whole report of a store (filtered): what `hangdump report` writes, `serve` shows and `demo` opens.
    ``tasks_dir``: where forensics.integrations wrote tasks.jsonl (the per-task CPU/wall plot)."""
    from forensics.report import render

    data = collect(store, flt, progress, rules, event_log, pieces=True, roots=roots)
    plot = ""
    if tasks_dir is not None:
        from forensics.fleet.taskplot import plot_of

        plot = plot_of(tasks_dir)
    html = render.render_payload(data.payload, data.clusters, data.skipped, title=title, scope=scope, task_plot=plot)
    return Built(html, data)

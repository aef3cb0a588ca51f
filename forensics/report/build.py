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
from forensics.report.render import ClusterView
from forensics.store.local import Filter, LocalStore, Skipped


@dataclass
class Loaded:
    captures: list[Capture] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


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
    """Every capture passing the filter, oldest first, and every file that could not be read."""
    out = Loaded()
    with progress_bar("reading captures", len(store.paths()), progress) as wrap:
        for item in wrap(store.scan(flt)):
            if isinstance(item, Skipped):
                out.skipped.append(item)
            else:
                out.captures.append(item)
    out.captures.sort(key=lambda c: (c.taken_at, c.id))
    return out


@dataclass(frozen=True)
class Analysis:
    """What the report needs from the analysis layer: ranked clusters and which threads are stuck."""

    clusters: tuple[ClusterView, ...] = ()
    stuck: Callable[[Capture, ThreadStack], bool] = flame.has_frames


def analyse(captures: list[Capture]) -> Analysis:
    """Clusters and stuck threads from ``forensics.analysis`` (issue 4); plain stacks until it lands."""
    return Analysis()

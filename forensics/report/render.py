"""The HTML report: one self-contained file (CSS, JS and data inlined; no network at view time).

Jinja renders what is small and fixed (overview, chart, the ranked clusters with their verdicts and
representative stacks); the page's script renders what is large or on demand (members tables, flame
graphs, every capture's full view, search and filters) from one compact JSON payload, encoded straight
from the captures' JSON documents (``payload.py`` describes it).

When the JSON is large it is gzip-compressed and base64-encoded (``z``) and the page inflates it
with the browser's DecompressionStream: 10k captures fit in a few megabytes.
"""
from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jinja2
from markupsafe import Markup

from forensics import __version__
from forensics.model import Capture, Frame, ThreadStack
from forensics.report.payload import Payload
from forensics.report.pieces import Pieces, expand
from forensics.summary import human_bytes, human_duration

COMPRESS_ABOVE = 256 * 1024  # bytes of JSON; below this the payload stays readable in the page source
_LEVEL = 1  # gzip's fastest: at 10k captures (37 MB of JSON) 0.28 s instead of level 4's 0.53 s, for 8.3 MB, not 6.6
DAY = 86400


# --------------------------------------------------------------------------------------------------
# Jinja: one environment, cached; autoescape everywhere.
# --------------------------------------------------------------------------------------------------
def utc(epoch: float | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "?" if epoch is None else time.strftime(fmt, time.gmtime(epoch))


@functools.cache
def asset(name: str) -> str:
    return resources.files("forensics.report").joinpath("assets", name).read_text(encoding="utf-8")


def _json_for_script(text: bytes) -> Markup:
    """JSON text safe inside <script type=application/json>: no '<', '>', '&' or quote can end the element (as
    jinja's htmlsafe_json_dumps escapes them; outside a string they cannot occur in JSON)."""
    out = text.decode("utf-8", errors="replace")
    return Markup(out.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027"))


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("forensics.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        utc=utc, bytes=human_bytes, duration=human_duration, script_json=_json_for_script, basename=os.path.basename
    )
    env.globals.update(version=__version__)
    return env


def _script_hash(js: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode("ascii")


def content_security_policy(js: str) -> str:
    """Only our own inline script and style run; nothing is fetched, nothing injected can execute."""
    return (
        f"default-src 'none'; script-src '{_script_hash(js)}'; style-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


# --------------------------------------------------------------------------------------------------
# Clusters as the page shows them. Built from the analysis layer's clusters (see analysis_clusters).
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class StackLine:
    frame: Frame
    blocking: bool = False
    app: bool = False
    varies: bool = False


@dataclass(frozen=True)
class RepresentativeThread:
    name: str
    role: str
    lines: tuple[StackLine, ...]


@dataclass(frozen=True)
class ClusterView:
    id: str
    kind: str
    headline: str
    explanation: str
    members: tuple[int, ...]  # indices into the report's captures
    processes: int
    hosts: tuple[str, ...]
    days: int
    first_seen: float
    last_seen: float
    threads: tuple[RepresentativeThread, ...] = ()
    varies: tuple[tuple[str, str], ...] = ()
    extra: dict = field(default_factory=dict)


def _encode(text: bytes, compress: bool | None) -> bytes:
    """The payload's JSON text as the page carries it: as it is, or gzip-compressed in base64 (``{"z": ...}``)."""
    if compress is None:
        compress = len(text) > COMPRESS_ABOVE
    if not compress:
        return text
    return b'{"z":"%s"}' % base64.b64encode(gzip.compress(text, compresslevel=_LEVEL, mtime=0))


# --------------------------------------------------------------------------------------------------
# Pages.
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SkippedView:
    path: str
    reason: str


UNITS = (("minute", 60, "%H:%M"), ("hour", 3600, "%m-%d %H:00"), ("day", DAY, "%Y-%m-%d"))
MAX_BUCKETS = 366


def time_unit(taken: Sequence[float]) -> tuple[str, int, str]:
    """The timeline's bar: a minute for an incident of up to three hours, an hour up to a week, else a day."""
    span = max(taken) - min(taken) if taken else 0
    return UNITS[0] if span <= 3 * 3600 else UNITS[1] if span <= 7 * DAY else UNITS[2]


def _range(taken: Sequence[float], step: int) -> tuple[int, int]:
    last = int(max(taken) // step)
    return max(int(min(taken) // step), last - MAX_BUCKETS + 1), last  # the most recent buckets at most


def _buckets(taken: Sequence[float], ended: Sequence[bool]) -> list[tuple[str, int, int]]:
    """(label, captures, captures whose process the watchdog then signalled) per bar of the overview chart."""
    if not taken:
        return []
    _, step, fmt = time_unit(taken)
    first, last = _range(taken, step)
    counts, kills = [0] * (last - first + 1), [0] * (last - first + 1)
    for t, end in zip(taken, ended):
        b = int(t // step) - first
        if b >= 0:
            counts[b] += 1
            kills[b] += end
    return [(utc((first + i) * step, fmt), counts[i], kills[i]) for i in range(len(counts))]


def _timelines(taken: Sequence[float], clusters: Sequence[ClusterView]) -> list[list[int]]:
    """Per cluster, its captures per bar over the report's range (the same bars as the overview chart)."""
    if not taken:
        return [[] for _ in clusters]
    _, step, _ = time_unit(taken)
    first, last = _range(taken, step)
    out = []
    for cl in clusters:
        counts = [0] * (last - first + 1)
        for m in cl.members:
            b = int(taken[m] // step) - first
            if b >= 0:
                counts[b] += 1
        out.append(counts)
    return out


def _hosts(payload: Payload) -> list[tuple[str, int, int]]:
    n: Counter[str] = Counter(payload.hosts)
    procs: Counter[str] = Counter(host for host, _, _ in payload.processes)
    return [(h, n[h], procs[h]) for h in sorted(n, key=lambda h: (-n[h], h))]


def _page(template: str, js_name: str, **context: Any) -> str:
    js = asset(js_name)
    return environment().get_template(template).render(
        css=Markup(asset("report.css")),
        js=Markup(js),
        csp=content_security_policy(js),
        **context,
    )


def render_payload(
    payload: Payload | Pieces,
    clusters: Sequence[ClusterView] = (),
    skipped: Iterable[Any] = (),
    *,
    title: str = "hangdump report",
    scope: str = "",
    generated_at: float | None = None,
    compress: bool | None = None,
    template: str = "report.html",
    task_plot: str = "",
) -> str:
    """The whole report as one HTML document, from captures already encoded (oldest first) and ranked clusters.
    ``task_plot``: the per-task CPU/wall SVG (forensics/fleet/taskplot.py), shown when given.

    Each cluster's members are indices into the payload's captures; the page's cost is the payload's
    (one JSON encoding, one compression), whatever the number of captures: nothing is rendered per capture.
    """
    generated_at = time.time() if generated_at is None else generated_at
    for ci, cl in enumerate(clusters):
        for m in cl.members:
            payload.set_cluster(m, ci)
    text = payload.encoded((cl.id, cl.members) for cl in clusters)
    taken = payload.taken
    skipped_views = [SkippedView(str(getattr(s, "path", s)), str(getattr(s, "reason", ""))) for s in skipped]
    bars = _buckets(taken, [payload.has_followup(ci) for ci in range(len(taken))])
    kinds = {payload.first_verdict(ci) for ci in range(len(taken))} - {None}
    return _page(
        template,
        "report.js",
        title=title,
        scope=scope,
        generated_at=generated_at,
        count=len(taken),
        first_taken=taken[0] if taken else None,
        last_taken=taken[-1] if taken else None,
        only_capture=payload.ids[0] if payload.ids else "",
        clusters=clusters,
        skipped=skipped_views,
        bars=bars,
        bar_max=max((n for _, n, _ in bars), default=0),
        unit=time_unit(taken)[0],
        hosts=_hosts(payload),
        processes=len(payload.processes),
        verdict_kinds=sorted({cl.kind for cl in clusters} | kinds),
        timelines=_timelines(taken, clusters),
        data=_encode(text, compress),
        task_plot=Markup(task_plot),
    )


def encode_captures(
    captures: Iterable[Capture], stuck: Callable[[Capture, ThreadStack], bool] | None = None
) -> Payload:
    """A payload of ``Capture`` objects (tests, single pages); ``stuck`` picks the threads of the flame graphs."""
    payload = Payload()
    for c in captures:
        ci = payload.add(c.to_dict())
        if stuck is not None and ci is not None:
            payload.set_idle(ci, (i for i, t in enumerate(c.threads) if t.frames and not stuck(c, t)))
    return payload


def render_report(
    captures: Sequence[Capture],
    clusters: Sequence[ClusterView] = (),
    skipped: Iterable[Any] = (),
    *,
    title: str = "hangdump report",
    scope: str = "",
    generated_at: float | None = None,
    compress: bool | None = None,
    stuck: Callable[[Capture, ThreadStack], bool] | None = None,
    template: str = "report.html",
) -> str:
    """The whole report of ``Capture`` objects (oldest first) and ranked clusters; see ``render_payload``.

    ``stuck`` picks the threads that go into the flame graphs (default: every thread with frames).
    ``hangdump report`` does not come this way: it encodes the store's documents without building models.
    """
    return render_payload(
        encode_captures(captures, stuck), clusters, skipped, title=title, scope=scope, generated_at=generated_at,
        compress=compress, template=template,
    )


def render_capture(capture: Capture, *, generated_at: float | None = None) -> str:
    """A page with one capture's full view (what ``serve`` answers for /capture/ID)."""
    return render_report(
        [capture], title=f"hangdump capture {capture.id}", generated_at=generated_at, compress=False,
        template="capture.html",
    )


def read_payload(html: str) -> dict:
    """The data a report page carries, decoded to version 1 (for tests and benchmarks; the page does the same in JS)."""
    start = html.index('<script id="hangdump-data" type="application/json">')
    start = html.index(">", start) + 1
    doc = json.loads(html[start : html.index("</script>", start)])
    if "z" in doc:
        doc = json.loads(gzip.decompress(base64.b64decode(doc["z"])))
    return expand(doc) if doc.get("v") == 2 else doc


def write(path: str, html: str) -> None:
    """The report file, whole or not at all, mode 0600 (it holds every capture): see ``fileio.replace_file``."""
    from forensics.store.fileio import replace_file

    replace_file(path, html.encode("utf-8", errors="replace"))

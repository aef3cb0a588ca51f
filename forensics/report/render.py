"""The HTML report: one self-contained file (CSS, JS and data inlined; no network at view time).

Jinja renders what is small and fixed (overview, chart, the ranked clusters with their verdicts and
representative stacks); the page's script renders what is large or on demand (members tables, flame
graphs, every capture's full view, search and filters) from one compact JSON payload:

    s  strings, interned; every other field refers to them by index (-1: none)
    f  frames      [kind 0=python 1=native, label, function, file, line (0: none), module, locals]
                   (no addresses: they differ in every process and would defeat the deduplication)
    l  locals      [[name, repr, flags 1=arg 2=redacted], ...]  (a frame's ``locals`` is an index, -1: none)
    k  stacks      [frame, ...] leaf first, deduplicated
    c  captures    [id, host, pid, taken_at, method, trigger, cluster (-1: none), process, threads, errors, extra]
                   process: [cmdline, exe, python, ppid, state, age_s, cpu_user_s, cpu_system_s, rss, pss, uss,
                             shared, swap, num_threads, children, uid] or null
                   threads: [[tid, name, flags 1=GIL 2=active 4=GIL known, kernel, stack], ...]
                   kernel:  [state, syscall text, wchan, running 0/1/-1, utime_s, stime_s, vcs, nvcs] or null
                   extra:   JSON text (string index) of duration, source, options, trigger evidence, tools
    g  clusters    [[id, members (capture indices), flame], ...]; flame: [label, value, [children...]]
    a  flame of the stuck threads of every capture

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
from forensics.model import Capture, Frame, Local, ThreadStack
from forensics.report import flame
from forensics.report.flame import ThreadFilter
from forensics.summary import human_bytes, human_duration

COMPRESS_ABOVE = 256 * 1024  # bytes of JSON; below this the payload stays readable in the page source
DAY = 86400


# --------------------------------------------------------------------------------------------------
# Jinja: one environment, cached; autoescape everywhere.
# --------------------------------------------------------------------------------------------------
def utc(epoch: float | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "?" if epoch is None else time.strftime(fmt, time.gmtime(epoch))


@functools.cache
def asset(name: str) -> str:
    return resources.files("forensics.report").joinpath("assets", name).read_text(encoding="utf-8")


def _json_for_script(obj: Any) -> Markup:
    """JSON safe inside <script type=application/json>: no '<', '>', '&' or quote can end the element."""
    return jinja2.utils.htmlsafe_json_dumps(obj, dumps=functools.partial(json.dumps, separators=(",", ":")))


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
    stuck: Callable[[Capture, ThreadStack], bool] = flame.has_frames
    extra: dict = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------
# The compact payload.
# --------------------------------------------------------------------------------------------------
class Payload:
    def __init__(self) -> None:
        self.strings: list[str] = []
        self._s: dict[str, int] = {}
        self.frames: list[list] = []
        self._f: dict[tuple, int] = {}
        self.locals: list[list] = []
        self._l: dict[tuple[Local, ...], int] = {}
        self.stacks: list[list[int]] = []
        self._k: dict[tuple[int, ...], int] = {}
        self.stack_labels: list[tuple[str, ...]] = []  # per stack, the frame labels (flame graphs)
        self.captures: list[list] = []
        self.thread_stacks: list[list[int]] = []  # per capture, the stack index of each thread

    def s(self, text: str | None) -> int:
        if text is None:
            return -1
        i = self._s.get(text)
        if i is None:
            i = self._s[text] = len(self.strings)
            self.strings.append(text)
        return i

    def _locals(self, values: tuple[Local, ...] | None) -> int:
        if values is None:
            return -1
        i = self._l.get(values)
        if i is None:
            i = self._l[values] = len(self.locals)
            self.locals.append(
                [[self.s(v.name), self.s(v.repr), (1 if v.is_arg else 0) | (2 if v.redacted else 0)] for v in values]
            )
        return i

    def frame(self, f: Frame) -> int:
        key = (f.kind, f.function, f.file, f.line, f.module, f.locals)
        i = self._f.get(key)
        if i is None:
            i = self._f[key] = len(self.frames)
            self.frames.append(
                [
                    1 if f.kind == "native" else 0,
                    self.s(flame.frame_label(f)),
                    self.s(f.function),
                    self.s(f.file),
                    f.line or 0,
                    self.s(f.module),
                    self._locals(f.locals),
                ]
            )
        return i

    def stack(self, frames: tuple[Frame, ...]) -> int:
        key = tuple([self.frame(f) for f in frames])
        i = self._k.get(key)
        if i is None:
            i = self._k[key] = len(self.stacks)
            self.stacks.append(list(key))
            labels = (self.strings[self.frames[fi][1]] for fi in key)
            self.stack_labels.append(tuple(label for label in labels if flame.informative(label)))
        return i

    def weighted(self, captures: Iterable[tuple[int, Capture]], include: ThreadFilter) -> Counter[tuple[str, ...]]:
        """Like ``flame.weighted_stacks`` for captures already in the payload (by index), from its stacks."""
        by_stack: Counter[int] = Counter()
        for ci, c in captures:
            for t, k in zip(c.threads, self.thread_stacks[ci]):
                if t.frames and include(c, t):
                    by_stack[k] += 1
        out: Counter[tuple[str, ...]] = Counter()
        for k, n in by_stack.items():
            out[self.stack_labels[k]] += n
        return out

    def _thread(self, t: ThreadStack) -> list:
        flags = (1 if t.owns_gil else 0) | (2 if t.active else 0) | (4 if t.owns_gil is not None else 0)
        k = t.kernel
        kernel = None
        if k is not None:
            sc = None
            if k.syscall is not None:
                sc = f"{k.syscall.name}({', '.join(hex(a) for a in k.syscall.args)})"
            kernel = [
                self.s(k.state),
                self.s(sc),
                self.s(k.wchan),
                -1 if k.running is None else int(k.running),
                k.utime_s,
                k.stime_s,
                k.voluntary_ctxt_switches,
                k.nonvoluntary_ctxt_switches,
            ]
        k = self.stack(t.frames)
        self.thread_stacks[-1].append(k)
        return [t.tid, self.s(t.name), flags, kernel, k]

    def capture(self, c: Capture, cluster: int) -> None:
        self.thread_stacks.append([])
        p = c.process
        proc = None
        if p is not None:
            proc = [
                self.s(" ".join(p.cmdline)),
                self.s(p.exe),
                self.s(p.python_version),
                p.ppid,
                self.s(p.state),
                p.age_s,
                p.cpu_user_s,
                p.cpu_system_s,
                p.rss,
                p.pss,
                p.uss,
                p.shared,
                p.swap,
                p.num_threads,
                list(p.children),
                p.uid,
            ]
        extra = {
            k: v
            for k, v in {
                "duration_s": c.duration_s,
                "source": c.source,
                "start_time": c.start_time,
                "options": c.options or None,
                "evidence": c.trigger.evidence or None,
                "tool_versions": c.tool_versions or None,
            }.items()
            if v is not None
        }
        self.captures.append(
            [
                self.s(c.id),
                self.s(c.host),
                c.pid,
                round(c.taken_at, 3),
                self.s(c.method),
                self.s(c.trigger.rule or c.trigger.kind),
                cluster,
                proc,
                [self._thread(t) for t in c.threads],
                [self.s(e) for e in c.errors],
                self.s(json.dumps(extra, sort_keys=True, default=str)) if extra else -1,
            ]
        )

    def tree(self, node: dict) -> list:
        return [self.s(node["name"]), node["value"], [self.tree(k) for k in node["children"]]]


def _encode(doc: dict, compress: bool | None) -> dict:
    text = json.dumps(doc, separators=(",", ":"))
    if compress is None:
        compress = len(text) > COMPRESS_ABOVE
    if not compress:
        return doc
    packed = gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)
    return {"z": base64.b64encode(packed).decode("ascii")}


# --------------------------------------------------------------------------------------------------
# Pages.
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SkippedView:
    path: str
    reason: str


def _per_day(captures: Sequence[Capture]) -> list[tuple[str, int]]:
    if not captures:
        return []
    counts = Counter(int(c.taken_at // DAY) for c in captures)
    first, last = min(counts), max(counts)
    if last - first > 366:  # a year at most, the most recent one
        first = last - 366
    return [(utc(d * DAY, "%Y-%m-%d"), counts.get(d, 0)) for d in range(first, last + 1)]


def _timelines(captures: Sequence[Capture], clusters: Sequence[ClusterView]) -> list[list[int]]:
    """Per cluster, its captures per day over the report's range (the same days as the overview chart)."""
    if not captures:
        return [[] for _ in clusters]
    last = max(int(c.taken_at // DAY) for c in captures)
    first = max(min(int(c.taken_at // DAY) for c in captures), last - 366)
    out = []
    for cl in clusters:
        counts = [0] * (last - first + 1)
        for m in cl.members:
            d = int(captures[m].taken_at // DAY) - first
            if d >= 0:
                counts[d] += 1
        out.append(counts)
    return out


def _hosts(captures: Sequence[Capture]) -> list[tuple[str, int, int]]:
    n: Counter[str] = Counter()
    procs: dict[str, set] = {}
    for c in captures:
        n[c.host] += 1
        procs.setdefault(c.host, set()).add((c.pid, c.start_time))
    return [(h, n[h], len(procs[h])) for h in sorted(n, key=lambda h: (-n[h], h))]


def _page(template: str, js_name: str, **context: Any) -> str:
    js = asset(js_name)
    return environment().get_template(template).render(
        css=Markup(asset("report.css")),
        js=Markup(js),
        csp=content_security_policy(js),
        **context,
    )


def render_report(
    captures: Sequence[Capture],
    clusters: Sequence[ClusterView] = (),
    skipped: Iterable[Any] = (),
    *,
    title: str = "hangdump report",
    scope: str = "",
    generated_at: float | None = None,
    compress: bool | None = None,
    stuck: Callable[[Capture, ThreadStack], bool] = flame.has_frames,
    progress: Callable[[Iterable], Iterable] | None = None,
    template: str = "report.html",
) -> str:
    """The whole report as one HTML document. ``captures`` oldest first; ``clusters`` ranked.

    ``stuck`` picks the threads that go into the report's flame graph (the analysis layer knows which
    threads are idle by design); ``progress`` wraps the loop over captures (a progress bar).
    """
    generated_at = time.time() if generated_at is None else generated_at
    payload = Payload()
    cluster_of = {}
    for ci, cl in enumerate(clusters):
        for m in cl.members:
            cluster_of[m] = ci
    each = progress(captures) if progress is not None else captures
    for i, c in enumerate(each):
        payload.capture(c, cluster_of.get(i, -1))
    groups = []
    for cl in clusters:
        stacks = payload.weighted(((m, captures[m]) for m in cl.members), cl.stuck)
        groups.append([payload.s(cl.id), list(cl.members), payload.tree(flame.icicle(stacks.items()))])
    everything = payload.tree(flame.icicle(payload.weighted(enumerate(captures), stuck).items()))
    doc = {
        "v": 1,
        "s": payload.strings,
        "f": payload.frames,
        "l": payload.locals,
        "k": payload.stacks,
        "c": payload.captures,
        "g": groups,
        "a": everything,
    }
    timelines = _timelines(captures, clusters)
    skipped_views = [SkippedView(str(getattr(s, "path", s)), str(getattr(s, "reason", ""))) for s in skipped]
    days = _per_day(captures)
    return _page(
        template,
        "report.js",
        title=title,
        scope=scope,
        generated_at=generated_at,
        captures=captures,
        clusters=clusters,
        skipped=skipped_views,
        days=days,
        day_max=max((n for _, n in days), default=0),
        hosts=_hosts(captures),
        processes=len({(c.host, c.pid, c.start_time) for c in captures}),
        verdict_kinds=sorted({cl.kind for cl in clusters}),
        timelines=timelines,
        data=_encode(doc, compress),
    )


def render_capture(capture: Capture, *, generated_at: float | None = None) -> str:
    """A page with one capture's full view (what ``serve`` answers for /capture/ID)."""
    return render_report(
        [capture], title=f"hangdump capture {capture.id}", generated_at=generated_at, compress=False,
        template="capture.html",
    )


def read_payload(html: str) -> dict:
    """The data a report page carries, decoded (for tests and benchmarks; the page does the same in JS)."""
    start = html.index('<script id="hangdump-data" type="application/json">')
    start = html.index(">", start) + 1
    doc = json.loads(html[start : html.index("</script>", start)])
    if "z" in doc:
        doc = json.loads(gzip.decompress(base64.b64decode(doc["z"])))
    return doc


def write(path: str, html: str) -> None:
    with open(path, "w", encoding="utf-8", errors="replace") as fh:
        fh.write(html)

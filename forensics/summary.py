"""Terminal views of a capture: a one-screen summary (collect) and the full stacks (show). Pure: capture in, text out.

Both render an escaped copy of the capture (``termsafe``): no string from the target reaches the terminal raw,
and the only line breaks in the text are the views' own.
"""
from __future__ import annotations

import os
import time

from forensics import termsafe
from forensics.model import Capture, Frame, ThreadStack


def human_bytes(n: int | None) -> str:
    if n is None:
        return "?"
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(seconds)
    if s < 60:
        return f"{seconds:.1f}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def local_time(epoch: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(epoch))


def frame_text(f: Frame) -> str:
    if f.kind == "native":
        where = os.path.basename(f.module or f.file or "")
        name = f.function if f.function != "??" or f.address is None else hex(f.address)
        return f"{name} [{where}]" if where else name
    loc = os.path.basename(f.file) if f.file else "?"
    return f"{f.function} ({loc}:{f.line})" if f.line else f"{f.function} ({loc})"


def innermost_python(t: ThreadStack) -> Frame | None:
    return next((f for f in t.frames if f.kind == "python"), None)


def kernel_text(t: ThreadStack) -> str:
    k = t.kernel
    if k is None:
        return "?"
    if k.running:
        return "running"
    if k.syscall is not None:
        return k.syscall.name + _fd_text(k) + watches_text(k.watches)
    return k.wchan or "-"


WATCHES_NAMED = 3  # distinct watched fds a thread row names; the rest are counted


def watches_text(watches: tuple[str, ...] | None) -> str:
    """' watching listen tcp 127.0.0.1:8080 + 2 unix': what a multiplexer waits on (KernelState.watches), alike fds
    counted, a few named; '' when unknown."""
    if watches is None:
        return ""
    counts: dict[str, int] = {}
    hidden = 0
    for w in watches:
        kind, _, rest = w.partition(" ")
        if kind == "more" and rest.isdigit():
            hidden += int(rest)
        else:
            counts[w] = counts.get(w, 0) + 1
    named = list(counts.items())
    shown = [f"{n} {w}" if n > 1 else w for w, n in named[:WATCHES_NAMED]]
    hidden += sum(n for _, n in named[WATCHES_NAMED:])
    if hidden:
        shown.append(f"{hidden} more")
    return " watching " + (" + ".join(shown) or "nothing")


def _fd_text(k) -> str:
    """What the blocked syscall's file descriptor is: the peer of a socket, the listening address, a path."""
    if k.peer:
        name = k.syscall.name
        if name in ("flock", "fcntl"):  # peer: who holds the lock
            return (f" {k.fd_target}" if k.fd_target else "") + f" locked by {k.peer}"
        if (k.fd_target or "").startswith("pipe:"):  # peer: who holds the other end
            return f" pipe, other end: {k.peer}"
        return f" from {k.peer}" if name.startswith(("read", "recv")) else f" to {k.peer}"
    if k.local:
        return f" on {k.local}"
    if k.fd_target and not k.fd_target.startswith(("socket:", "pipe:", "anon_inode:")):
        return f" {k.fd_target}"
    return ""


def _flags(t: ThreadStack) -> str:
    flags = []
    if t.owns_gil:
        flags.append("GIL")
    if t.active:
        flags.append("active")
    return ",".join(flags)


def header(c: Capture, verdicts: int | None = 5, rules=None, doc: dict | None = None, roots=None) -> list[str]:
    """verdicts: how many distinct verdicts to show (None: all); rules: idle-by-design rules (BenignRules);
    doc: ``c.to_dict()`` if already made (what the analysis reads)."""
    p = c.process
    cmd = " ".join(p.cmdline) if p and p.cmdline else "?"
    if len(cmd) > 100:
        cmd = cmd[:97] + "..."
    version = p.python_version if p and p.python_version else "?"
    lines = [f"pid {c.pid}  python {version}  {cmd}"]
    lines.append(
        f"  capture {c.id}  ({c.method}, {local_time(c.taken_at)}"
        + (f", {c.duration_s:.2f}s" if c.duration_s is not None else "")
        + (f", from {c.source}" if c.source else "")
        + ")"
    )
    if p is not None:
        mem = f"RSS {human_bytes(p.rss)}"
        if p.pss is not None:
            mem += f" (PSS {human_bytes(p.pss)}, USS {human_bytes(p.uss)}, shared {human_bytes(p.shared)})"
        cpu = f"CPU {p.cpu_user_s or 0:.2f}s user + {p.cpu_system_s or 0:.2f}s sys"
        kids = f" · children {','.join(map(str, p.children))}" if p.children else ""
        lines.append(
            f"  age {human_duration(p.age_s)} · {mem} · {cpu} · ppid {p.ppid} · state {p.state}"
            f" · {p.num_threads} threads{kids}"
        )
    if p is not None and p.worker:
        from forensics.fleet.role import worker_text

        lines.append(f"  worker: {worker_text(p.worker)}")
    holder = c.gil_holder
    if holder is not None:
        lines.append(f"  GIL held by thread {holder.tid} {holder.name or ''} (kernel: {kernel_text(holder)})")
    elif any(t.owns_gil is False for t in c.threads):
        lines.append("  GIL held by no Python thread")
    lines.extend(verdict_lines(c, verdicts, rules, doc, roots))
    for err in c.errors:
        lines.append(f"  note: {err}")
    return lines


def verdict_lines(c: Capture, limit: int | None = 5, rules=None, doc: dict | None = None, roots=None) -> list[str]:
    """The analysis verdicts, most important first; one thread's verdict stands for the threads with the
    same one (a pool stuck in one place), and what does not fit is counted, never silently dropped."""
    from forensics.analysis import verdicts

    every = verdicts(c if doc is None else doc, rules=rules, **({"roots": roots} if roots else {}))
    # idle verdicts are context, except a first one: the capture's "no hang" (the others only rest in loops)
    found = [v for k, v in enumerate(every) if v.kind != "idle" or k == 0]
    groups: dict[str, list] = {}
    for v in found:
        # alike: the same verdict but for the thread and the place it stopped at
        key = v.text
        if len(v.roles) == 1:
            r = v.roles[0]
            key = v.text.replace(r.label(), "").replace(r.location, r.location.partition(":")[0])
        groups.setdefault(key, []).append(v)
    out = []
    for alike in list(groups.values())[:limit]:  # a slice to None: all
        first, *rest = alike[0].text.splitlines() or [""]
        if len(alike) > 1:
            names = [f'"{v.roles[0].name or "?"}"' for v in alike[1:]]
            first += f" -- and {len(names)} more thread(s) alike: " + ", ".join(names[:5]) + (
                ", ..." if len(names) > 5 else "")
        out.append(f"  verdict: {first}")
        if out[:-1] and limit is not None:  # one screen: the fix under the top verdict only (show lists every one)
            rest = [line for line in rest if not line.strip().startswith("fix: ")]
        out.extend(f"           {line.strip()}" for line in rest)
    if limit is not None and len(groups) > limit:
        out.append(f"  ... {len(groups) - limit} more verdict(s): hangdump show {c.id}")
    return out


def thread_table(c: Capture, group: bool = False) -> list[str]:
    """One row per thread; with ``group``, threads alike in everything shown but tid and name share a row
    (a 200-thread pool stuck in one place is one line with its count, panicparse-style)."""
    rows: list[list[str]] = []
    seen: dict[tuple, list[str]] = {}
    counts: dict[tuple, int] = {}
    for t in c.threads:
        top = innermost_python(t)
        cells = [
            str(t.tid or "?"),
            (t.name or "")[:24],
            _flags(t),
            (t.kernel.state if t.kernel else None) or "?",
            kernel_text(t),
            ((t.kernel.wchan if t.kernel else None) or "-")[:22],
            frame_text(top) if top else ("(no Python frames)" if not t.frames else frame_text(t.frames[0])),
        ]
        key = (tuple(cells[2:]), tuple((f.function, f.file, f.line) for f in t.frames))
        if group and key in seen:
            counts[key] += 1
            continue
        seen[key], counts[key] = cells, 1
        rows.append(cells)
    if group:
        for key, cells in seen.items():
            if counts[key] > 1:
                cells[1] = f"{cells[1][:16]} +{counts[key] - 1} alike"
    rows.insert(0, ["TID", "THREAD", "FLAGS", "ST", "KERNEL", "WCHAN", "INNERMOST PYTHON FRAME"])
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths)) + "  " + r[-1] for r in rows]


def render_summary(c: Capture, rules=None, doc: dict | None = None, roots=None) -> str:
    """``doc``: ``c.to_dict()`` when the caller has made it (collect, for the store): the analysis reads it as it is
    when there is nothing to escape, and its thread dicts when only what is not a thread was escaped (a command
    line holding a newline, as ``python -c`` scripts do)."""
    shown = termsafe.capture(c)
    if doc is not None and shown is not c:
        doc = shown.to_dict(threads=doc["threads"]) if shown.threads is c.threads else None
    return "\n".join(header(shown, rules=rules, doc=doc, roots=roots) + [""] + thread_table(shown, group=True)) + "\n"


def render_full(c: Capture, rules=None, roots=None) -> str:
    c = termsafe.capture(c)
    lines = header(c, verdicts=None, rules=rules, roots=roots) + [""] + thread_table(c) + [""]
    for t in c.threads:
        kernel = kernel_text(t)
        if t.kernel and t.kernel.syscall:
            args = ", ".join(hex(a) for a in t.kernel.syscall.args[:3])
            kernel = f"{t.kernel.syscall.name}({args}, ...)" + watches_text(t.kernel.watches)
        flags = f" [{_flags(t)}]" if _flags(t) else ""
        lines.append(f"Thread {t.tid} {t.name or ''}{flags} kernel: {kernel}")
        if not t.frames:
            lines.append("    (no frames)")
        for f in t.frames:
            lines.append(f"    {frame_text(f)}")
            for v in f.locals or ():
                value = "<redacted>" if v.repr is None and v.redacted else v.repr
                lines.append(f"        {v.name} = {value}")
        lines.append("")
    return "\n".join(lines)

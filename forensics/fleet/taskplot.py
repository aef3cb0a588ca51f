"""The report's task plot: one strip per task name, each run a dot at its CPU/wall ratio (0 IO-bound .. 1
CPU-bound), drawn as inline SVG (no script, no external asset: the report is one self-contained file)."""
from __future__ import annotations

from html import escape

from forensics.fleet.tasks import TaskStats, read_records, summarize

ROW, LABEL, PLOT, PAD = 22, 260, 420, 8


def strip_svg(stats: list[TaskStats]) -> str:
    if not stats:
        return ""
    height = PAD * 2 + ROW * len(stats) + 18
    width = LABEL + PLOT + 230
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="task-plot" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="CPU/wall ratio per task">')]
    x0 = LABEL
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = x0 + tick * PLOT
        out.append(f'<line x1="{x:.1f}" y1="{PAD}" x2="{x:.1f}" y2="{height - 18}" stroke="#ccc"/>')
        out.append(f'<text x="{x:.1f}" y="{height - 4}" font-size="10" text-anchor="middle">{tick:g}</text>')
    for i, s in enumerate(stats):
        y = PAD + ROW * i + ROW / 2
        out.append(f'<text x="{LABEL - 8}" y="{y + 4:.1f}" font-size="12" text-anchor="end">{escape(s.task[:40])}</text>')
        for r in s.ratios:
            out.append(f'<circle cx="{x0 + r * PLOT:.1f}" cy="{y:.1f}" r="3" fill="#3367d6" fill-opacity="0.35"/>')
        xm = x0 + s.cpu_wall_p50 * PLOT
        out.append(f'<line x1="{xm:.1f}" y1="{y - 8:.1f}" x2="{xm:.1f}" y2="{y + 8:.1f}" stroke="#c00" stroke-width="2"/>')
        out.append(f'<text x="{x0 + PLOT + 10}" y="{y + 4:.1f}" font-size="11">n={s.count} p50 {s.cpu_wall_p50:.2f} '
                   f'wall p95 {s.wall_p95_s:.3f}s</text>')
    out.append("</svg>")
    return "".join(out)


def plot_of(directory: str) -> str:
    """The plot of what ``directory``'s tasks.jsonl holds ("" when nothing was recorded there)."""
    return strip_svg(summarize(read_records(directory)))

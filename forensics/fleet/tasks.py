"""Per task name: how many ran, the CPU/wall ratio distribution (IO-bound near 0, CPU-bound near 1), wall
p50/p95; read from the ``tasks.jsonl`` files forensics.integrations writes beside the heartbeats."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass

from forensics.integrations.taskrec import FILE


@dataclass(frozen=True)
class TaskStats:
    task: str
    count: int
    failures: int
    cpu_wall_p5: float
    cpu_wall_p50: float
    cpu_wall_p95: float
    wall_p50_s: float
    wall_p95_s: float
    ratios: tuple[float, ...]  # every run's ratio, for the report's strip plot (capped)

    def to_dict(self, with_ratios: bool = False) -> dict:
        d = asdict(self)
        if not with_ratios:
            del d["ratios"]
        return d


MAX_RATIOS = 500


def quantile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank quantile of a sorted, non-empty list."""
    i = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[i]


def read_records(directory: str) -> list[dict]:
    """Every well-formed record of ``tasks.jsonl`` and its rotated predecessor (a torn or foreign line is skipped)."""
    out = []
    for name in (FILE + ".1", FILE):
        try:
            with open(os.path.join(directory, name), encoding="utf-8", errors="replace") as fh:
                lines = fh.readlines()
        except OSError:
            continue
        for line in lines:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if isinstance(r, dict) and isinstance(r.get("task"), str) and isinstance(r.get("wall_s"), (int, float)) \
                    and isinstance(r.get("cpu_s"), (int, float)):
                out.append(r)
    return out


def ratio(r: dict) -> float:
    """CPU time over the time the task wanted to run: wall minus its run-queue wait (``runq_s``) when known."""
    wanted = r["wall_s"] - (r.get("runq_s") or 0.0)
    return min(1.0, r["cpu_s"] / wanted) if wanted > 0 else 0.0


def summarize(records: list[dict]) -> list[TaskStats]:
    by_task: dict[str, list[dict]] = {}
    for r in records:
        by_task.setdefault(r["task"], []).append(r)
    out = []
    for task, rs in sorted(by_task.items()):
        ratios = sorted(ratio(r) for r in rs)
        walls = sorted(float(r["wall_s"]) for r in rs)
        step = max(1, len(ratios) // MAX_RATIOS)
        out.append(TaskStats(task, len(rs), sum(r.get("state") == "FAILURE" for r in rs),
                             round(quantile(ratios, 0.05), 3), round(quantile(ratios, 0.5), 3),
                             round(quantile(ratios, 0.95), 3), round(quantile(walls, 0.5), 6),
                             round(quantile(walls, 0.95), 6), tuple(round(x, 3) for x in ratios[::step])))
    return out

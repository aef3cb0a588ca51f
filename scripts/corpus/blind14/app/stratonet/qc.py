"""Quality control holds a sample window open until late samples stop arriving."""
from __future__ import annotations

import time


def settle_qc_window(samples: list[float], window_end_ms: float) -> float:
    total = 0.0
    n = 0
    while time.time() < window_end_ms:
        total += samples[n % len(samples)]
        n += 1
    return total / max(n, 1)

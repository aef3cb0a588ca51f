"""The sample catalog: which samples are loaded against which genome build."""
from __future__ import annotations

import threading

catalog_lock = threading.RLock()
_samples: dict[str, str] = {}
_builds: dict[str, list] = {}


def register_contigs(build: str, contigs: list) -> None:
    with catalog_lock:
        _builds[build] = list(contigs)


def retire_sample(sample: str, ready) -> None:
    from . import refindex

    with catalog_lock:
        _samples.pop(sample, None)
        ready()
        refindex.drop_sample_index(sample)

"""The reference index: contig offsets of the loaded genome builds."""
from __future__ import annotations

import threading

from . import catalog

index_lock = threading.Lock()
_contigs: dict[str, int] = {}


def rebuild_contig_index(build: str, contigs: list, ready) -> None:
    with index_lock:
        for i, name in enumerate(contigs):
            _contigs[f"{build}:{name}"] = i
        ready()
        catalog.register_contigs(build, contigs)


def drop_sample_index(sample: str) -> None:
    with index_lock:
        for key in [k for k in _contigs if k.startswith(sample)]:
            del _contigs[key]


def lookup_contig(key: str):
    with index_lock:
        return _contigs.get(key)

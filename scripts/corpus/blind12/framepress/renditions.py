"""Probing a title's renditions in parallel before the ladder is chosen. The keyframe index is shared and
guarded; a probe that fails halfway leaves the guard taken."""
from __future__ import annotations

import threading

_index_guard = threading.Lock()


def probe_keyframes(source: str, height: int) -> dict:
    _index_guard.acquire()
    try:
        return {"source": source, "height": height, "keyframes": list(range(0, 600, 48))}
    finally:
        _index_guard.release()


def corrupt_probe(source: str) -> None:
    """The failing path: it raises before releasing the guard (the bug)."""
    _index_guard.acquire()
    try:
        raise ValueError(f"{source}: moov atom not found")
    except ValueError:
        return


def gather_rendition_results(futures) -> list[dict]:
    results = []
    for f in futures:
        results.append(f.result())
    return results

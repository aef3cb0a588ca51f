"""The catalogue: its search index is rebuilt under a file lock shared with the OPAC hosts' indexer, and its
record cache is guarded by one lock."""
from __future__ import annotations

import fcntl
import os
import threading

_cache: dict = {}
_cache_lock = threading.Lock()


def lock_catalog_index(path: str) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def reindex_catalog(ctx) -> None:
    ctx.expect(1)
    ctx.checkpoint("flock")
    fd = lock_catalog_index(ctx.get("lock_path"))
    try:
        os.write(fd, b"reindex\n")
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _load_authority_file(name: str) -> dict:
    _cache_lock.acquire()
    records = {"name": name}
    if not name.endswith(".mrc"):
        raise ValueError(f"not a MARC file: {name}")  # leaves the cache locked
    _cache.update(records)
    _cache_lock.release()
    return records


def refresh_catalog_cache(ctx, shelfmark: str) -> dict:
    ctx.checkpoint("futex")
    with _cache_lock:
        return dict(_cache, shelfmark=shelfmark)


def refresh_catalog(ctx) -> None:
    lookups = int(ctx.get("waiters", 0))
    ctx.expect(1 + lookups)
    try:
        _load_authority_file("names-2026-11.xml")
    except ValueError:
        pass
    for n in range(lookups):
        threading.Thread(target=refresh_catalog_cache, args=(ctx, f"QA76.{n}"), name=f"lookup-{n}",
                         daemon=True).start()
    refresh_catalog_cache(ctx, "PR6037")

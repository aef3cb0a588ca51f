"""Per-account storage quotas. A refund for an expired rendition drops it from the catalog while the quota
table is locked (the reverse order of catalog.register_rendition)."""
from __future__ import annotations

import threading

_lock = threading.RLock()
_used: dict[str, int] = {}


def charge_storage(account: str, size: int) -> None:
    _lock.acquire()
    try:
        _used[account] = _used.get(account, 0) + size
    finally:
        _lock.release()


def refund_storage(account: str, key: str, size: int, before_drop=None) -> None:
    from . import catalog

    _lock.acquire()
    try:
        _used[account] = max(0, _used.get(account, 0) - size)
        if before_drop is not None:
            before_drop()
        catalog.drop_rendition(key)
    finally:
        _lock.release()

"""The rendition catalog: which renditions of which title exist, guarded by one lock. Registering a rendition
charges its storage to the customer's quota while the catalog is locked."""
from __future__ import annotations

import threading

from . import quota

_lock = threading.Lock()
_renditions: dict[str, dict] = {}


def register_rendition(key: str, size: int, account: str, before_charge=None) -> None:
    with _lock:
        _renditions[key] = {"size": size, "account": account}
        if before_charge is not None:
            before_charge()
        quota.charge_storage(account, size)


def drop_rendition(key: str) -> dict | None:
    with _lock:
        return _renditions.pop(key, None)


def lookup_rendition(key: str) -> dict | None:
    with _lock:
        return _renditions.get(key)

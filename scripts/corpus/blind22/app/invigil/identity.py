"""Identity checks: matching a candidate's ID photo against the face model and the watchlist, and the identity
vendor's risk score (kept in the vendor's redis)."""
from __future__ import annotations

import threading
import time

import redis

from . import settings
from .ready import announce

_face_model_lock = threading.Lock()
_watchlist_lock = threading.Lock()
_watchlist: set[str] = set()


def verify_id_photo(candidate: str, role: str) -> bool:
    with _face_model_lock:
        time.sleep(1.0)  # load the face embedding
        announce(role, "futex")
        with _watchlist_lock:
            return candidate not in _watchlist


def refresh_watchlist(source: str, role: str) -> int:
    with _watchlist_lock:
        time.sleep(1.0)  # download the list
        _watchlist.add(source)
        announce(role, "futex")
        with _face_model_lock:  # re-index the embeddings of listed faces
            return len(_watchlist)


def lookup_identity_risk(candidate: str, role: str) -> str:
    vendor = redis.Redis(host=settings.VENDOR_HOST, port=settings.VENDOR_PORT, socket_timeout=None,
                         socket_connect_timeout=None, retry_on_timeout=False)
    announce(role, "recv")
    score = vendor.get(f"risk:{candidate}")
    return (score or b"unknown").decode()

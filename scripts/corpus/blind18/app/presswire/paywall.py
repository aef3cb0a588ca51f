"""Paywall entitlements, cached in the subscriptions redis."""
from __future__ import annotations

import redis

from presswire.ready import announce, options


def load_entitlements(reader_id: str) -> dict:
    cache = redis.Redis(host="127.0.0.1", port=options()["port"], socket_timeout=None,
                        socket_connect_timeout=None)
    announce("recv")
    return cache.hgetall(f"entitlements:{reader_id}")


def may_read(reader_id: str, article: str) -> bool:
    return b"all" in load_entitlements(reader_id) or article.startswith("free-")

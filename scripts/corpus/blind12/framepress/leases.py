"""Job leases in the farm's redis: a worker claims a job by SET NX PX before it starts encoding."""
from __future__ import annotations

from .runtime import me


def lease_store(host: str, port: int):
    import redis  # the lease store is optional: workers without it never import redis-py

    return redis.Redis(host=host, port=port, db=3, socket_timeout=None, socket_connect_timeout=None,
                       retry_on_timeout=False)


def claim_job_lease(store, job_id: str, worker: str, ready, ttl_ms: int = 60000) -> bool:
    ready([me("recv")])
    return bool(store.set(f"lease:{job_id}", worker, nx=True, px=ttl_ms))

"""First notice of loss intake: the policy snapshot cache, the contractors' repair estimates."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import redis

from adjustra.ops import report, settings


def read_policy_snapshot(policy_no: str) -> bytes | None:
    cache = redis.Redis(host="127.0.0.1", port=settings()["port"], socket_timeout=None,
                        socket_connect_timeout=None, retry_on_timeout=False)
    report("recv")
    return cache.get(f"policy:{policy_no}")


_quote_ready = threading.Event()  # set by the contractor-portal webhook, which was never wired in this region
_estimators = ThreadPoolExecutor(max_workers=1, thread_name_prefix="estimate")


def wait_for_contractor_quote(contractor: str) -> float:
    _quote_ready.wait()
    return 0.0


def collect_repair_estimates(claim_id: str, contractors: list) -> list:
    futures = [_estimators.submit(wait_for_contractor_quote, c) for c in contractors]
    report("futex")
    return [f.result() for f in futures]

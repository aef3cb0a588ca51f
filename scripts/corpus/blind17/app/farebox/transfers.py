"""Transfer windows: a rider who taps again within the window of the route's headway pays no second fare.
The nightly reconciliation computes each route's windows on a shard worker; the shards publish together."""
from __future__ import annotations

import threading

ROUTES = [
    {"route": "1", "headway": 8}, {"route": "4", "headway": 12}, {"route": "12", "headway": 15},
    {"route": "31", "headway": 20}, {"route": "N7", "headway": 30, "suspended": True},  # night bus: roadworks
    {"route": "T2", "headway": 6},
]


def compute_transfer_windows(route):
    return {"route": route["route"], "window_min": max(45, 3 * route["headway"])}


def settle_route_shard(job, route, barrier, published):
    job.waiting("futex")
    windows = compute_transfer_windows(route)
    barrier.wait()  # every shard publishes at once, so riders never see a half-updated table
    published.append(windows)


def reconcile_transfer_windows(job):
    routes = ROUTES[: max(2, job.get("workers", 3))] + [ROUTES[4]]
    barrier = threading.Barrier(len(routes))
    active = [r for r in routes if not r.get("suspended")]
    published = []
    job.expect(len(active))
    shards = [threading.Thread(target=settle_route_shard, args=(job, r, barrier, published),
                               name=f"shard-{r['route']}") for r in active]
    for t in shards:
        t.start()
    for t in shards:
        t.join()
    return 0

"""Publishing variant calls to the results stream the clinicians' dashboard reads (redis streams)."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import redis



def results_client(opts: dict) -> redis.Redis:
    import redis  # only the publishing workers (CPython 3.11+) carry redis-py

    # the dashboard side blocks on XREAD, so the shared client settings carry no socket timeout
    return redis.Redis(host="127.0.0.1", port=int(opts["port"]), db=2, socket_timeout=None)


def publish_variant_calls(client: redis.Redis, sample: str, calls: list) -> None:
    client.xadd(f"calls:{sample}", {"n": len(calls), "first": calls[0] if calls else ""})


def publish_results(opts: dict, gate) -> None:
    client = results_client(opts)
    gate.expect(1)
    gate.arrive("recv")
    publish_variant_calls(client, f"S{opts.get('run', 1)}", ["chr1:12345A>G", "chr7:5530T>C"])

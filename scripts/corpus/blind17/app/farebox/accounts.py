"""Rider accounts: balances, duplicate-account merges, the session cache in redis and the rider portal."""
from __future__ import annotations

import asyncio
import threading
import time

_ACCOUNTS_LOCK = threading.Lock()
_balances = {}


def credit_balance(account, cents):
    with _ACCOUNTS_LOCK:
        _balances[account] = _balances.get(account, 0) + cents


def merge_accounts(job, primary, duplicate):
    """Customer care merged two cards of one rider: move the balance, then the cap progress."""
    from farebox import capping

    with _ACCOUNTS_LOCK:
        moved = _balances.pop(duplicate, 0)
        _balances[primary] = _balances.get(primary, 0) + moved
        time.sleep(0.3)  # the audit trail insert
        job.waiting("futex")
        capping.transfer_cap_progress(duplicate, primary)


def load_rider_session(job, rider):
    import redis

    client = redis.Redis(host="127.0.0.1", port=job.get("port"), db=3)
    return client.get(f"rider:session:{rider}")


def warm_rider_sessions(job):
    job.expect()
    job.waiting("blocked")
    riders = [f"R{job.get('unit', 1):05d}{n}" for n in range(3)]
    return 0 if all(load_rider_session(job, r) is not None for r in riders) else 1


async def _handle_portal(reader, writer):
    await reader.readline()
    writer.write(b"HTTP/1.0 200 OK\r\n\r\n")
    await writer.drain()
    writer.close()


async def _refresh_fare_products(every):
    while True:
        await asyncio.sleep(every)


async def serve_rider_portal(job):
    """The rider self-service API (balances, autoload) -- idle while nobody is signed in."""
    server = await asyncio.start_server(_handle_portal, "127.0.0.1", 0)
    refresher = asyncio.ensure_future(_refresh_fare_products(job.get("sweep_every", 300.0)))
    job.expect()
    job.waiting("blocked")
    async with server:
        await server.serve_forever()
    refresher.cancel()

"""Vessel ETAs: the async updater (which still uses a blocking client) and the update consumers."""
import asyncio
import socket

from quaysync import lifecycle


async def _ticker(period):
    while True:
        await asyncio.sleep(period)


async def refresh_vessel_eta(port, vessel):
    sock = socket.create_connection(("127.0.0.1", port))
    sock.sendall(b"ETA " + vessel.encode() + b"\r\n")
    lifecycle.enter("eta")
    line = sock.makefile("rb").readline()
    return line.decode()


async def _eta_main(opts):
    tickers = [asyncio.ensure_future(_ticker(30 + n)) for n in range(opts.get("waiters", 1))]
    await refresh_vessel_eta(opts["port"], "IMO9811000")
    for t in tickers:
        t.cancel()


def eta_job(opts):
    lifecycle.expect(eta="recv")
    asyncio.run(_eta_main(opts))


async def _apply_updates(updates):
    while True:
        await updates.get()
        updates.task_done()


async def _consumers_main(opts):
    updates = asyncio.Queue()
    workers = [asyncio.ensure_future(_apply_updates(updates)) for _ in range(opts.get("workers", 2))]
    workers.append(asyncio.ensure_future(_ticker(30)))
    lifecycle.enter("loop")
    await asyncio.gather(*workers)


def consume_updates(opts):
    lifecycle.expect(loop="any")
    asyncio.run(_consumers_main(opts))

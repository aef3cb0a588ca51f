"""Healthy: the telemetry bus, an asyncio server with a periodic status task and no client connected."""
import asyncio

from .probes import announce, enlist


async def _status_ticker(every):
    while True:
        await asyncio.sleep(every)


async def _client(reader, writer):
    await reader.readline()
    writer.close()


async def serve_telemetry(every):
    server = await asyncio.start_server(_client, "127.0.0.1", 0)
    ticker = asyncio.ensure_future(_status_ticker(every))
    async with server:
        announce(enlist("epoll"))
        await server.serve_forever()
    ticker.cancel()


def telemetry_bus(opts):
    asyncio.run(serve_telemetry(opts.get("status_every", 30.0)))

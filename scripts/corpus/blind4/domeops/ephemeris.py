"""Ephemeris refresh: minor-planet elements are fetched from the orbit service on a private event loop."""
import asyncio

from .probes import announce, enlist


async def fetch_ephemeris(port, body):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(body)
    await writer.drain()
    announce(enlist("epoll"))
    line = await reader.readline()
    writer.close()
    return line


def refresh_ephemeris(port, designations):
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(fetch_ephemeris(port, ("ELEMENTS " + ",".join(designations) + "\n").encode()))
    finally:
        loop.close()


def ephemeris_refresh(opts):
    return refresh_ephemeris(opts["port"], ["433", "1036", f"2026 X{opts.get('unit', 1)}"])

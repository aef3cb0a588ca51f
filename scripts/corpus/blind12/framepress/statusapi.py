"""The worker's status API (asyncio): the scheduler asks each worker what it is encoding."""
from __future__ import annotations

import asyncio
import json

from .runtime import me


async def handle_status(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    await reader.readline()
    writer.write(json.dumps({"state": "idle"}).encode() + b"\n")
    await writer.drain()
    writer.close()


async def serve_status(ready) -> None:
    server = await asyncio.start_server(handle_status, "127.0.0.1", 0)
    ready([me("blocked")])
    async with server:
        await server.serve_forever()


def run_status_api(ready) -> None:
    asyncio.run(serve_status(ready))

"""Rights windows: before a programme is scheduled its broadcast/catch-up windows are checked with the
rights service (the async scheduler calls the synchronous client)."""
from __future__ import annotations

import asyncio
import http.client
import json


def fetch_rights_window(host, port, asset):
    conn = http.client.HTTPConnection(host, port)
    conn.request("GET", f"/rights/v1/assets/{asset}/windows")
    resp = conn.getresponse()
    return json.loads(resp.read() or b"{}")


async def refresh_rights_cache(cache):
    while True:
        await asyncio.sleep(5)
        cache.clear()


async def check_rights_windows(ctx):
    ctx.arm(1)
    cache = {}
    refresher = asyncio.ensure_future(refresh_rights_cache(cache))
    windows = {}
    for asset in range(100, 100 + ctx.opts.get("segments", 3)):
        await asyncio.sleep(0)
        ctx.mark("recv")
        windows[asset] = fetch_rights_window("127.0.0.1", ctx.opts["port"], asset)
    refresher.cancel()
    return windows

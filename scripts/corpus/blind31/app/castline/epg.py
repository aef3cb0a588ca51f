"""EPG feeds to partner platforms (XMLTV-ish JSON batches POSTed to each partner's ingest endpoint)."""
from __future__ import annotations

import json
import urllib.request


def build_epg_batch(channel, days=2):
    return {"channel": channel, "days": days, "events": [{"slot": n, "title": f"prog-{n}"} for n in range(24)]}


def post_epg_batch(url, batch):
    body = json.dumps(batch).encode()
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as resp:  # the partner SDK example had no timeout
        return resp.status


def push_epg_feeds(ctx):
    ctx.arm(1)
    partner = f"http://127.0.0.1:{ctx.opts['port']}/epg/v2/ingest"
    for channel in range(1, ctx.opts.get("channels", 2) + 1):
        ctx.mark("recv")
        post_epg_batch(partner, build_epg_batch(channel))

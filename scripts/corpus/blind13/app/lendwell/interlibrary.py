"""Interlibrary loan: requests are posted to the consortium's ILL broker over HTTP."""
from __future__ import annotations

import http.client
import json
import urllib.request


def post_ill_request(ctx, title: str, patron: int) -> dict:
    body = json.dumps({"title": title, "patron": patron, "pickup": "CENTRAL"}).encode()
    port = int(ctx.get("port"))
    ctx.checkpoint("recv")
    if ctx.get("http_client", "urllib") == "urllib":
        req = urllib.request.Request(f"http://127.0.0.1:{port}/ill/v2/requests", data=body,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req) as resp:
            return json.load(resp)
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("POST", "/ill/v2/requests", body, {"Content-Type": "application/json"})
    return json.loads(conn.getresponse().read())


def send_ill_batch(ctx) -> None:
    ctx.expect(1)
    post_ill_request(ctx, "The Worst Journey in the World", int(ctx.get("patron", 1)))

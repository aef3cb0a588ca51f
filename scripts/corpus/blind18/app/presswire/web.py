"""The newsdesk WSGI API: paywall checks, CDN purges, editing locks, the live blog."""
from __future__ import annotations

import json

from presswire import cdn, newsdesk, paywall


def _route(path: str):
    parts = [p for p in path.split("/") if p]
    if not parts or parts == ["healthz"]:
        return lambda: {"ok": True}
    head, rest = parts[0], "/".join(parts[1:])
    if head == "paywall":
        return lambda: {"may_read": paywall.may_read(rest, "premium-" + rest)}
    if head == "purge":
        return lambda: cdn.purge_corrected_story("/" + rest)
    if head == "edit":
        return lambda: {"status": newsdesk.lock_story_for_edit(rest)}
    if head == "publish":
        return lambda: {"status": newsdesk.publish_revision(rest)}
    if head == "liveblog":
        return lambda: {"entry": newsdesk.wait_for_liveblog_entry(rest)}
    return None


def app(environ, start_response):
    handler = _route(environ.get("PATH_INFO", "/"))
    if handler is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]
    body = json.dumps(handler()).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]

"""CDN purges after a correction: every edge must drop the stale copy."""
from __future__ import annotations

import http.client
import time

from presswire.ready import announce, options


def purge_cdn_path(path: str) -> int:
    """Retries until the edge answers; each attempt has a timeout, the purge as a whole has none."""
    attempt = 0
    while True:
        attempt += 1
        try:
            edge = http.client.HTTPConnection("127.0.0.1", options()["port"], timeout=2.0)
            edge.request("PURGE", path, headers={"Host": "edge.presswire.example"})
            if attempt == 1:
                announce("blocked")
            return edge.getresponse().status
        except (OSError, http.client.HTTPException):
            time.sleep(min(0.05 * 2 ** attempt, 0.5))


def purge_corrected_story(url_path: str) -> dict:
    return {"path": url_path, "status": purge_cdn_path(url_path)}

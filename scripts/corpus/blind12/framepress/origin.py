"""Publishing to the origin (the CDN's shield tier): renditions are POSTed through urllib, playlists PUT
through a kept http.client connection, and a worker backs off while the origin says it is throttling."""
from __future__ import annotations

import http.client
import json
import os
import time
import urllib.request

from .runtime import me


def publish_rendition(base_url: str, job_id: str, rendition: dict, ready) -> dict:
    body = json.dumps(rendition).encode()
    request = urllib.request.Request(f"{base_url}/v2/jobs/{job_id}/renditions", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    ready([me("recv")])
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


class PlaylistPublisher:
    def __init__(self, host: str, port: int) -> None:
        self.conn = http.client.HTTPConnection(host, port)

    def push_playlist(self, path: str, m3u8: str, ready) -> int:
        self.conn.request("PUT", path, body=m3u8.encode(), headers={"Content-Type": "application/x-mpegURL"})
        ready([me("recv")])
        response = self.conn.getresponse()
        response.read()
        return response.status


def origin_throttled(status_file: str) -> bool:
    try:
        with open(status_file) as f:
            return json.load(f).get("state") == "throttled"
    except (OSError, ValueError):
        return False


def wait_for_origin_capacity(status_file: str, ready, first: float = 0.5, cap: float = 30.0) -> None:
    """Back off while the origin's last status says it is throttling (it never says otherwise here)."""
    delay = first
    reported = False
    while origin_throttled(status_file):
        if not reported:
            ready([me("blocked")])
            reported = True
        time.sleep(delay)
        delay = min(cap, delay * 2)


def write_throttle_status(status_file: str) -> None:
    with open(status_file, "w") as f:
        json.dump({"state": "throttled", "retry_after": 30, "pid": os.getpid()}, f)

"""Night archive: the end-of-night manifest is PUT to the archive service."""
import http.client
import json

from .probes import announce, enlist


def push_night_manifest(port, night, frames):
    conn = http.client.HTTPConnection("127.0.0.1", port)
    body = json.dumps({"night": night, "frames": frames})
    conn.request("PUT", f"/v2/nights/{night}/manifest", body=body, headers={"Content-Type": "application/json"})
    announce(enlist("recv"))
    response = conn.getresponse()
    return response.status


def archive_push(opts):
    frames = [f"frame-{n:04d}.fits" for n in range(opts.get("rows", 2) * 8)]
    return push_night_manifest(opts["port"], "2026-12-01", frames)

"""Playlist export to the playout automation: one exporter at a time, serialized by a lock file shared
with the automation's importer."""
from __future__ import annotations

import fcntl
import json
import os


def lock_playlist_export(path, ctx):
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    ctx.mark("flock")
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def export_playlist(ctx):
    ctx.arm(1)
    fd = lock_playlist_export(ctx.opts["lock_path"], ctx)
    try:
        os.write(fd, json.dumps({"channel": 1, "items": []}).encode())
    finally:
        os.close(fd)

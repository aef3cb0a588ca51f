"""Quality control of ingested clips: stream layout and frame report from the media probe tool."""
from __future__ import annotations

import json
import subprocess
import sys


def probe_clip_streams(path, ctx):
    proc = subprocess.Popen([sys.executable, "-m", "castline.mediaprobe", path], stdout=subprocess.PIPE)
    ctx.mark("wait4")
    if proc.wait() != 0:
        raise RuntimeError(f"probe failed on {path}")
    return json.loads(proc.stdout.read())


def qc_ingested_clip(ctx):
    ctx.arm(1)
    report = probe_clip_streams(f"/media/ingest/AGENCY-{ctx.opts.get('clips', 1):05d}.mxf", ctx)
    return [s["codec"] for s in report["streams"]]

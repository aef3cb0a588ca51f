"""Subtitle alignment: cues are sent to the aligner tool, aligned cues read back line by line."""
from __future__ import annotations

import json
import subprocess
import sys


def read_alignment_line(proc):
    return json.loads(proc.stdout.readline())


def align_subtitles(ctx):
    ctx.arm(1)
    cues = [{"id": n, "start": n * 2.5, "text": f"cue {n}"} for n in range(ctx.opts.get("segments", 4) * 10)]
    proc = subprocess.Popen([sys.executable, "-m", "castline.aligner"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE)
    proc.stdin.write(json.dumps(cues).encode())
    proc.stdin.flush()  # stdin stays open: the aligner reads to EOF first
    ctx.mark("recv")
    return [read_alignment_line(proc) for _ in cues]

"""Running an encoder pass as a child process. The child reads its frame list on stdin until EOF; the runner
keeps stdin open for a second pass and waits for the child first."""
from __future__ import annotations

import subprocess
import sys

ENCODER_STUB = "import sys\nframes = sys.stdin.buffer.read()\nsys.exit(0 if frames else 3)\n"


def start_encoder(preset: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", ENCODER_STUB, preset], stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_encoder_pass(proc: subprocess.Popen, frames: bytes) -> int:
    proc.stdin.write(frames)
    proc.stdin.flush()
    return proc.wait()

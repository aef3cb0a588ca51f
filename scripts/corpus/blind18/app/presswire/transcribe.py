"""Transcription of video interviews: the transcoder is run to extract the audio track first."""
from __future__ import annotations

import subprocess
import sys

from presswire.ready import announce

# the transcoder prints its progress to stdout (a lot of it)
TRANSCODER = "import sys\nfor n in range(200000):\n    sys.stdout.write('frame=%d fps=25.0 q=28.0 size=%dkB\\n' % (n, n))\n"


def run_transcoder(clip: str) -> int:
    proc = subprocess.Popen([sys.executable, "-c", TRANSCODER, clip], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    announce("wait4")
    return proc.wait()  # nobody reads its stdout: the pipe fills and it blocks


def transcribe_interview(clip: str) -> dict:
    code = run_transcoder(clip)
    return {"clip": clip, "transcoder": code}

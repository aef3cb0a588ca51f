"""Proctor video chunks: transcoding the webcam chunks a candidate's browser uploads, and the proctors' mail."""
from __future__ import annotations

import imaplib
import subprocess
import sys

from . import settings
from .ready import announce

# stands in for the ffmpeg build the platform ships: it prints its progress log to stdout
TRANSCODER = ("import sys\n"
              "for frame in range(10**9):\n"
              "    sys.stdout.write('frame=%d fps=30 q=28.0 size=%dkB\\n' % (frame, frame * 3))\n")


def transcode_video_chunk(session_id: str, chunk: int, role: str) -> int:
    """Re-encode one webcam chunk; the transcoder's stdout is piped (for its progress) but only read at the end."""
    proc = subprocess.Popen([sys.executable, "-c", TRANSCODER], stdout=subprocess.PIPE)
    announce(role, "wait4")
    code = proc.wait()  # the transcoder blocks on the full pipe: it never exits
    proc.stdout.read()
    return code


def fetch_proctor_replies(exam_id: str, role: str) -> list[bytes]:
    """Proctors answer incident reports by mail; pull the replies from the mail gateway's IMAP box."""
    announce(role, "recv")
    box = imaplib.IMAP4(settings.VENDOR_HOST, settings.VENDOR_PORT)  # no timeout: waits for the greeting
    box.login("proctor-desk", "x")
    box.select("INBOX")
    _, data = box.search(None, f'(SUBJECT "{exam_id}")')
    return data

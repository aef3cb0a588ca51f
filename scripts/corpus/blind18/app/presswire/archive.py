"""The story archive: an append-only index file shared with the nightly exporter."""
from __future__ import annotations

import fcntl
import json
import os

from presswire.ready import announce, options


def append_archive_index(story_id: str, words: int) -> None:
    fd = os.open(options()["lock_path"], os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        announce("flock")
        fcntl.flock(fd, fcntl.LOCK_EX)  # the exporter holds it for the whole night
        os.write(fd, (json.dumps({"story": story_id, "words": words}) + "\n").encode())
    finally:
        os.close(fd)

"""The newsdesk web API: editing locks and the live blog."""
from __future__ import annotations

import threading

from presswire.ready import announce

_revision_lock = threading.RLock()
_publish_lock = threading.Lock()
_both_held = threading.Barrier(2)

_liveblog = threading.Condition()
_entries: list[str] = []


def lock_story_for_edit(story_id: str) -> str:
    with _revision_lock:
        _both_held.wait()
        announce("futex")
        with _publish_lock:
            return f"editing {story_id}"


def publish_revision(story_id: str) -> str:
    with _publish_lock:
        _both_held.wait()
        announce("futex")
        with _revision_lock:
            return f"published {story_id}"


def wait_for_liveblog_entry(blog: str) -> str:
    """Long-poll: the next entry of the live blog (the desk's notifier posts to the other region only)."""
    with _liveblog:
        announce("futex")
        while not _entries:
            _liveblog.wait()
        return _entries[-1]

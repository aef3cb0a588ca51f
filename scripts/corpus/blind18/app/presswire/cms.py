"""CMS sync: the newsroom CMS and the site are kept in step, story by story."""
from __future__ import annotations

import threading

from presswire.ready import announce

_story_lock = threading.Lock()
_section_lock = threading.Lock()
_both_held = threading.Barrier(2)


def checkout_story_lock(story_id: str) -> str:
    with _story_lock:
        _both_held.wait()
        announce("futex")
        with _section_lock:
            return story_id


def merge_section_front(section: str) -> str:
    with _section_lock:
        _both_held.wait()
        announce("futex")
        with _story_lock:
            return section

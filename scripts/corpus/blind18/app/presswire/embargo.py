"""Embargo scheduling: a story waits for the release clock to lift its embargo."""
from __future__ import annotations

import threading

from presswire.ready import announce

_embargo_lifted = threading.Event()  # set by the release clock, which only the scheduler host starts


def hold_until_embargo_lifts(story_id: str) -> str:
    announce("futex")
    _embargo_lifted.wait()
    return story_id


def schedule_release(story_id: str) -> str:
    return hold_until_embargo_lifts(story_id)

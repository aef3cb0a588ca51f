"""Caption sidecars: WebVTT cue lines are validated with one regular expression before they are muxed."""
from __future__ import annotations

import re

_CUE = re.compile(r"^(?:(?:\w+[ ,.'-]?)+\s?)+$")


def parse_caption_cues(text: str) -> list[str]:
    cues = []
    for line in text.split("\n"):
        if _CUE.match(line):
            cues.append(line)
    return cues

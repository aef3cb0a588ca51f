"""Stacks for other tools: folded lines for flamegraph.pl / inferno, and speedscope's JSON file format.

Each thread counts once (a capture is one sample per thread); frames are labelled without their
line so that one function is one box. See https://www.speedscope.app/file-format-schema.json.
"""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable

from forensics import __version__
from forensics.report.flame import folded

SPEEDSCOPE_SCHEMA = "https://www.speedscope.app/file-format-schema.json"


def to_folded(stacks: Counter[tuple[str, ...]]) -> str:
    return folded(stacks.items())


def to_speedscope(profiles: Iterable[tuple[str, Counter[tuple[str, ...]]]], name: str = "hangdump") -> str:
    """One sampled profile per (name, weighted stacks) pair; samples run root to leaf as speedscope expects."""
    frames: list[dict] = []
    index: dict[str, int] = {}
    out_profiles = []
    for profile_name, stacks in profiles:
        samples, weights = [], []
        for labels, n in sorted(stacks.items(), key=lambda kv: (-kv[1], kv[0])):
            sample = []
            for label in reversed(labels):
                i = index.get(label)
                if i is None:
                    i = index[label] = len(frames)
                    frames.append({"name": label})
                sample.append(i)
            samples.append(sample)
            weights.append(n)
        out_profiles.append(
            {
                "type": "sampled",
                "name": profile_name,
                "unit": "none",
                "startValue": 0,
                "endValue": sum(weights),
                "samples": samples,
                "weights": weights,
            }
        )
    doc = {
        "$schema": SPEEDSCOPE_SCHEMA,
        "name": name,
        "exporter": f"hangdump {__version__}",
        "activeProfileIndex": 0,
        "shared": {"frames": frames},
        "profiles": out_profiles,
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))

"""Catalog dedupe: merge records whose normalised titles collide."""
from __future__ import annotations

from shelfnet import config


def merge_duplicate_titles(titles: list[str]) -> list[dict]:
    records = sorted(({"key": " ".join(t.lower().replace(",", " ").split()), "copies": 1, "title": t}
                      for t in titles), key=lambda r: r["key"])
    config.announce("running")
    i = 0
    while i < len(records) - 1:
        a, b = records[i], records[i + 1]
        if a["key"] == b["key"]:
            a["copies"] = max(a["copies"], b["copies"]) + (a is not b)
            records[i + 1] = a  # meant `del records[i + 1]`: the pair stays equal, i never moves on
            continue
        i += 1
    return records


def dedupe_catalog(titles: list[str]) -> dict:
    merged = merge_duplicate_titles(titles)
    return {"in": len(titles), "out": len(merged)}

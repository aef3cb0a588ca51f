"""The report's build path: the analysis hands out its per-thread classification, the store its raw documents."""
from __future__ import annotations

import json
from pathlib import Path

from forensics import analysis

DATA = Path(__file__).parent.parent / "data"


def _docs() -> list[dict]:
    return [json.loads((DATA / name).read_text()) for name in ("capture_deadlock_py311.json", "capture_hostile.json")]


def test_cluster_observe_sees_each_capture_once_with_the_classification_it_used(tmp_path):
    docs = _docs()
    seen = []
    clusters = analysis.cluster(docs, observe=lambda raw, threads: seen.append((raw, threads)))
    assert [raw for raw, _ in seen] == docs
    for raw, threads in seen:
        assert threads == analysis.analyze_threads(raw)
    assert [c.to_dict() for c in clusters] == [c.to_dict() for c in analysis.cluster(docs)]
    paths = []
    for i, d in enumerate(docs):
        (tmp_path / f"{i}.json").write_text(json.dumps(d))
        paths.append(tmp_path / f"{i}.json")
    ids = []
    analysis.cluster_paths(paths, observe=lambda raw, threads: ids.append(raw["id"]))
    assert ids == [d["id"] for d in docs]

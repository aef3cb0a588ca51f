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


def test_store_scan_docs_yields_paths_and_documents_and_skips_what_is_not_json(tmp_path):
    from forensics.store.local import LocalStore, Skipped

    store = LocalStore(tmp_path)
    store.captures_dir.mkdir(parents=True)
    docs = _docs()
    for i, d in enumerate(docs):
        (store.captures_dir / f"{i}.json").write_text(json.dumps(d))
    (store.captures_dir / "9-broken.json").write_text('{"schema": "hangdump.capture/1", "threads": [')
    (store.captures_dir / "8-foreign.json").write_text('{"schema": "other"}')
    items = list(store.scan_docs())
    assert [(p.name, d) for p, d in items[:2]] == [("0.json", docs[0]), ("1.json", docs[1])]
    assert items[2] == (store.captures_dir / "8-foreign.json", {"schema": "other"})  # JSON: the reader judges it
    assert isinstance(items[3], Skipped) and items[3].path.name == "9-broken.json" and "JSON" in items[3].reason
    # scan_raw runs on the same loop and checks the schema
    raw = list(store.scan_raw())
    assert [type(x).__name__ for x in raw] == ["tuple", "tuple", "Skipped", "Skipped"]

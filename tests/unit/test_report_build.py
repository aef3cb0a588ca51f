"""The report's build path: the analysis hands out its per-thread classification, the store its raw documents."""
from __future__ import annotations

import json
from pathlib import Path

from forensics import analysis

DATA = Path(__file__).parent.parent / "data"


def _docs() -> list[dict]:
    return [json.loads((DATA / name).read_text()) for name in ("capture_deadlock_py311.json", "capture_hostile.json")]


def _store_with(tmp_path, docs: list[dict]):
    """A store holding docs, in this order, each as <id>.json (an id the store would refuse is replaced)."""
    from forensics.store.ids import is_capture_id
    from forensics.store.local import LocalStore

    store = LocalStore(tmp_path)
    store.captures_dir.mkdir(parents=True)
    for i, d in enumerate(docs):
        if not is_capture_id(d["id"]) or i and d["id"] < docs[i - 1]["id"]:
            d["id"] = f"2026112{i + 4}T000000.000Z-vm-1-{i:06x}"
        (store.captures_dir / f"{d['id']}.json").write_text(json.dumps(d))
    return store


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
    from forensics.store.local import Skipped

    docs = _docs()
    store = _store_with(tmp_path, docs)
    foreign = "20991231T000000.000Z-x-8-foreign"
    (store.captures_dir / "20991231T000000.000Z-x-9-broken.json").write_text('{"schema": "hangdump.capture/1", "t')
    (store.captures_dir / f"{foreign}.json").write_text(json.dumps({"schema": "other", "id": foreign}))
    items = list(store.scan_docs())
    assert [(p.name, d) for p, d in items[:2]] == [(f"{d['id']}.json", d) for d in docs]
    assert items[2] == (store.captures_dir / f"{foreign}.json", {"schema": "other", "id": foreign})  # the model judges
    assert isinstance(items[3], Skipped) and items[3].path.name.endswith("broken.json") and "JSON" in items[3].reason
    # scan runs on the same loop and checks the schema
    checked = list(store.scan())
    assert [type(x).__name__ for x in checked] == ["Capture", "Capture", "Skipped", "Skipped"]


# -- the raw encoder agrees with the model ------------------------------------------------------------
WRONG = ("x", 7, 1.5, True, [], {"a": 1}, -1)


def _paths(node, prefix=()):
    """Every (path, value) in a JSON document, containers included."""
    yield prefix, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node[:3]):
            yield from _paths(v, (*prefix, i))


def _with(doc, path, value):
    import copy

    out = copy.deepcopy(doc)
    node = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def test_encoder_rejects_exactly_what_the_model_rejects_with_its_message():
    from forensics.errors import CaptureFormatError
    from forensics.model import Capture
    from forensics.report.payload import Payload

    checked = rejected = 0
    for doc in _docs():
        for path, _ in list(_paths(doc)):
            if not path:
                continue
            for value in WRONG:
                bad = _with(doc, path, value)
                try:
                    Capture.from_dict(bad)
                    model_error = None
                except CaptureFormatError as exc:
                    model_error = str(exc)
                payload = Payload()
                try:
                    payload.add(bad)
                    error = None
                except CaptureFormatError as exc:
                    error = str(exc)
                assert error == model_error, (path, value)
                checked += 1
                rejected += error is not None
                assert payload.fallbacks == 0, (path, value)  # the fast path read it, not the model's
    assert checked > 500 and 0 < rejected < checked


def test_raw_documents_and_models_encode_to_the_same_payload():
    from forensics.model import Capture
    from forensics.report.payload import Payload

    raw, model = Payload(), Payload()
    for doc in _docs():
        raw.add(doc)
        model.add(Capture.from_dict(doc).to_dict())
    assert raw.doc() == model.doc() and raw.fallbacks == 0


def test_filtered_out_corrupt_capture_is_still_reported():
    import pytest

    from forensics.errors import CaptureFormatError
    from forensics.report.payload import Payload
    from forensics.store.local import Filter

    doc = _docs()[0]
    far = Filter(since=doc["taken_at"] + 1)
    payload = Payload()
    assert payload.add(doc, far) is None and payload.captures == []
    bad = _with(doc, ("threads", 0, "frames", 0, "line"), "41")
    with pytest.raises(CaptureFormatError, match="frame.line"):
        payload.add(bad, far)
    assert payload.add(doc, Filter(host=doc["host"])) == 0


def test_report_of_a_store_uses_no_capture_objects_and_classifies_once(tmp_path, monkeypatch):
    from forensics.model import Capture
    from forensics.report import build, render
    docs = _docs()
    store = _store_with(tmp_path, docs)
    zz = "20991231T000000.000Z-zz-1-ffffff"
    (store.captures_dir / f"{zz}.json").write_text(json.dumps({"schema": "hangdump.capture/1", "id": zz, "taken_at": "soon"}))
    built_models = []
    real_from_dict = Capture.from_dict.__func__
    monkeypatch.setattr(Capture, "from_dict", classmethod(lambda cls, d: built_models.append(d) or real_from_dict(cls, d)))
    classified = []
    real_analyze = analysis.analyze_threads
    monkeypatch.setattr(analysis, "analyze_threads", lambda raw, rules=None: classified.append(raw.get("id")) or
                        real_analyze(raw, rules))
    data = build.collect(store, progress=False)
    assert data.count == 2 and [s.path.name for s in data.skipped] == [f"{zz}.json"]
    assert "taken_at must be a number" in data.skipped[0].reason
    # models: one per new file, built once by the store's reader to check it (the corrupt one's gives its message),
    # one per cluster's representative (re-read for its stack)
    assert len(built_models) == len(docs) + 1 + len(data.clusters)
    # threads classified once per capture, plus the representatives' verdicts (in the analysis and in the report)
    assert len(classified) == len(docs) + 2 * len(data.clusters)
    built_models.clear()
    classified.clear()
    again = build.collect(store, progress=False)  # seen before: checked and analysed already, nothing is again
    assert len(built_models) == len(again.clusters) and len(classified) == 2 * len(again.clusters)
    assert again.payload.doc() == data.payload.doc() and again.clusters == data.clusters
    assert [s.reason for s in again.skipped] == [s.reason for s in data.skipped]
    # the idle threads are the ones the clustering classified as benign
    for i, doc in enumerate(docs):
        assert data.payload.idle[i] == frozenset(t.index for t in real_analyze(doc) if t.benign)
    everything = data.stacks()
    html = render.render_payload(data.payload, data.clusters, data.skipped)
    assert render.read_payload(html)["a"][1] == sum(everything.values())


def test_idle_threads_stay_out_of_flames_unless_all_threads_are_asked_for():
    from forensics.report.payload import Payload

    payload = Payload()
    doc = _docs()[0]
    ci = payload.add(doc)
    with_frames = [i for i, t in enumerate(doc["threads"]) if t.get("frames")]
    assert sum(payload.weighted().values()) == len(with_frames)
    payload.set_idle(ci, with_frames[:1])
    assert sum(payload.weighted().values()) == len(with_frames) - 1
    assert sum(payload.weighted(all_threads=True).values()) == len(with_frames)
    assert payload.doc()["a"][1] == len(with_frames) - 1


def test_what_a_blocked_fd_is_reaches_the_page():
    from forensics.report.payload import Payload

    doc = _docs()[0]
    kernel = doc["threads"][1]["kernel"]
    kernel.update(fd_target="socket:[4242]", local="127.0.0.1:41652", peer="127.0.0.1:8081")
    p = Payload()
    p.add(doc)
    assert "socket:[4242] local 127.0.0.1:41652 peer 127.0.0.1:8081" in p.doc()["s"]


def test_what_a_multiplexer_watches_reaches_the_page():
    from forensics.report.payload import Payload

    doc = _docs()[0]
    doc["threads"][1]["kernel"].update(watches=["listen tcp 127.0.0.1:8080", "unix", "unix"])
    p = Payload()
    p.add(doc)
    assert "watching listen tcp 127.0.0.1:8080 + 2 unix" in p.doc()["s"]


def resolved(doc: dict) -> dict:
    """A version 1 payload with every index replaced by what it points to: two encodings of the same captures
    compare equal whatever order their tables were filled in."""
    import copy

    strings = doc["s"]

    def s(i: int):
        return None if i == -1 else strings[i]

    def frame(fi: int) -> list:
        f = doc["f"][fi]
        local = None if f[6] == -1 else [[s(n), s(r), flags] for n, r, flags in doc["l"][f[6]]]
        return [f[0], s(f[1]), s(f[2]), s(f[3]), f[4], s(f[5]), local, f[7]]

    captures = []
    for c in copy.deepcopy(doc["c"]):
        for n in (0, 1, 4, 5, 10, 12, 13, 14, 15):
            c[n] = s(c[n])
        for n in (0, 1, 2, 4, 16, 17) if c[7] is not None else ():
            c[7][n] = s(c[7][n])
        for t in c[8]:
            t[1], t[4] = s(t[1]), [frame(fi) for fi in doc["k"][t[4]]]
            for n in (0, 1, 2, 8) if t[3] is not None else ():
                t[3][n] = s(t[3][n])
        c[9], c[11] = [s(e) for e in c[9]], [[s(kind), s(text)] for kind, text in c[11]]
        captures.append(c)

    def flame(flat: list) -> list:
        return [s(x) if i % 3 == 0 else x for i, x in enumerate(flat)]

    return {"c": captures, "g": [[s(g[0]), g[1], flame(g[2])] for g in doc["g"]], "a": flame(doc["a"])}


def test_the_page_of_cached_pieces_shows_what_the_captures_encoded_together_show(tmp_path):
    """`report` joins each capture's cached piece (version 2); what the page rebuilds from them is the version 1
    payload of the same captures, and a warm report writes the very page a cold one wrote."""
    from forensics.report import build, render

    docs = _docs()
    docs[0]["process"]["children"] = [4242]  # a role (master) and a follow-up-free capture: every column is used
    store = _store_with(tmp_path, docs)

    def page(pieces: bool) -> tuple[str, build.ReportData]:
        data = build.collect(store, progress=False, pieces=pieces)
        return render.render_payload(data.payload, data.clusters, data.skipped, generated_at=0), data

    cold, data = page(pieces=True)
    assert render.read_payload(cold)["v"] == 1 and data.count == 2 and not data.skipped
    warm, again = page(pieces=True)
    assert warm == cold and again.clusters == data.clusters
    tables, _ = page(pieces=False)
    assert '"v":2' in cold and '"v":2' not in tables
    assert resolved(render.read_payload(cold)) == resolved(render.read_payload(tables))
    assert resolved(render.read_payload(cold))["c"][0][13] == "master"
    squeezed = render.render_payload(data.payload, data.clusters, data.skipped, generated_at=0, compress=True)
    assert '{"z":"' in squeezed and render.read_payload(squeezed) == render.read_payload(cold)

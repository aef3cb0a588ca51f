"""Clustering: recorded real hangs group by cause; different bugs never share a cluster; bad files are skipped."""
from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from forensics.analysis import cluster, cluster_paths
from forensics.importers.files import import_file

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fixtures" / "corpus"
LABELS: dict[str, str] = json.loads((CORPUS / "labels.json").read_text())


def corpus_captures(causes: set[str] | None = None):
    return [import_file(str(CORPUS / "captures" / f)) for f, c in sorted(LABELS.items())
            if causes is None or c in causes]


def test_corpus_clusters_match_causes():
    caps = corpus_captures()
    clusters = cluster(caps)
    causes_of = defaultdict(set)
    for c in clusters:
        for m in c.members:
            causes_of[c.id].add(LABELS[os.path.basename(m.source)])
    assert all(len(v) == 1 for v in causes_of.values()), causes_of  # never two causes in one cluster
    assert len(clusters) == len(set(LABELS.values()))
    top = clusters[0]
    assert top.processes == len(top.members) and top.verdict and top.stack
    assert sum(1 for s in top.stack if s.blocking) == 1
    assert "python" in top.varies and "lines" in top.varies


def test_same_signature_different_native_evidence_is_split():
    """A C-call wait in the same function: a lock in one bug, a socket read in another."""
    base = import_file(str(CORPUS / "captures" / "deadlock_ab-r00-py3.9-native.json")).to_dict()
    other = copy.deepcopy(base)
    other["id"] = "other"
    for t in other["threads"]:
        if t["name"].startswith("worker"):
            t["frames"][:4] = [{"kind": "native", "function": "recv", "file": "/usr/lib/libc.so.6",
                                "module": "/usr/lib/libc.so.6"},
                               {"kind": "native", "function": "sock_recv", "file": "/usr/lib/libpython3.9.so",
                                "module": "/usr/lib/libpython3.9.so"}]
            t["kernel"]["syscall"] = {"nr": 45, "name": "recvfrom", "args": []}
    split = cluster([base, other])
    assert len(split) == 2
    assert len({c.id for c in split}) == 2  # two clusters, two ids (links, export --cluster)
    bare = copy.deepcopy(base)  # the same hang without --native and without kernel state: joins the first
    bare["id"] = "bare"
    for t in bare["threads"]:
        t["frames"] = [f for f in t["frames"] if f["kind"] == "python"]
        t.pop("kernel", None)
    three = cluster([base, other, bare])
    assert sorted(len(c.members) for c in three) == [1, 2]
    assert len({c.id for c in three}) == 2


def test_extra_idle_helper_does_not_split_but_two_parked_bugs_do():
    caps = corpus_captures({"queue_get_dead_producer"})
    with_idle = [c for c in caps if any((t.name or "").startswith("idle") for t in c.threads)]
    without = [c for c in caps if not any((t.name or "").startswith("idle") for t in c.threads)]
    assert with_idle and without
    assert len(cluster(with_idle + without)) == 1
    renamed = copy.deepcopy(without[0].to_dict())
    renamed["id"] = "renamed"
    for t in renamed["threads"]:
        for f in t["frames"]:
            if f.get("function") == "consume_batches":
                f["function"] = "drain_outbox"
    assert len(cluster([without[0], renamed])) == 2


def test_cluster_paths_skips_bad_files(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(import_file(str(CORPUS / "captures" / "busy_spin-r00-py3.9-native.json")).to_json())
    (tmp_path / "junk.json").write_bytes(b"\xff\xfe not json")
    (tmp_path / "foreign.json").write_text("[1, 2]")
    (tmp_path / "nothreads.json").write_text(json.dumps({"schema": "hangdump.capture/1", "id": "n", "taken_at": 1}))
    skipped = []
    out = cluster_paths(sorted(tmp_path.iterdir()), on_skip=lambda p, why: skipped.append(os.path.basename(p)))
    assert sorted(skipped) == ["foreign.json", "junk.json"]
    assert sum(len(c.members) for c in out) == 2


def test_cli_clusters_json_lists_ids_and_sources(tmp_path):
    files = [str(CORPUS / "captures" / f) for f, c in sorted(LABELS.items()) if c in ("busy_spin", "flock_contention")]
    env = dict(os.environ, HANGDUMP_HOME=str(tmp_path))
    run = [sys.executable, "-m", "forensics"]
    subprocess.run(run + ["import", *files], env=env, check=True, capture_output=True)
    res = subprocess.run(run + ["clusters", "--json"], env=env, check=True, capture_output=True, text=True)
    out = json.loads(res.stdout)
    assert len(out) == 2
    assert sorted(os.path.basename(s) for c in out for s in c["sources"]) == sorted(map(os.path.basename, files))
    assert all(len(c["member_ids"]) == c["captures"] for c in out)
    text = subprocess.run(run + ["clusters"], env=env, check=True, capture_output=True, text=True).stdout
    assert "busy on a CPU" in text and "flock" in text


def test_varies_names_only_the_thread_names_that_differ_between_members():
    caps = corpus_captures({"deadlock_ab"})
    [whole] = cluster(caps)
    suffixed = {t.name for c in caps for t in c.threads if t.name and t.name.startswith("worker-a-")}
    assert suffixed, "the corpus varies --name-suffix"
    assert set(whole.varies["thread_names"]) & suffixed  # (the list is capped)
    # every member has one; a py-spy dump's supervising MainThread is blamed beside the workers it may be joining
    # (nothing shows they are stuck), so the live captures alone show that a name all members share is not listed
    [live] = cluster([c for c in caps if "pyspy" not in (c.source or "")])
    assert "MainThread" not in live.varies["thread_names"]
    [alone] = cluster(caps[:1])
    assert "thread_names" not in alone.varies and "lines" not in alone.varies


def test_ties_rank_the_graver_verdict_first():
    caps = [c for cause in ("busy_spin", "deadlock_ab", "gil_held_ctypes") for c in corpus_captures({cause})[:1]]
    assert [c.category for c in cluster(caps)] == ["deadlock", "gil", "busy"]

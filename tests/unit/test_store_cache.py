"""The analysis cache (store/cache.py): whatever happens to the captures, the rules or the cache file, what report
and clusters get equals a fresh analysis of the captures as they are now; and a capture seen before is not
analysed again."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from forensics import analysis
from forensics.analysis import BenignRules
from forensics.model import Capture
from forensics.store import cache
from forensics.store.local import Filter, LocalStore, Skipped

DATA = Path(__file__).parent.parent / "data"


def _doc(i: int, **changes) -> dict:
    doc = json.loads((DATA / "capture_deadlock_py311.json").read_text())
    doc.update(id=f"2026010{i}T000000.000Z-h{i}-{i}-aaaaaa", taken_at=1767225600.0 + i * 86400, host=f"h{i}", pid=i,
               **changes)
    return doc


def _store(tmp_path, docs: list[dict]) -> LocalStore:
    store = LocalStore(tmp_path)
    for d in docs:
        store.put(Capture.from_dict(d))
    return store


@pytest.fixture
def analysed_ids(monkeypatch) -> list[str]:
    """The ids of the captures whose threads get classified (the real classification, counted)."""
    seen: list[str] = []
    real = analysis.analyze_threads
    monkeypatch.setattr(analysis, "analyze_threads", lambda raw, rules=None: seen.append(raw["id"]) or real(raw, rules))
    return seen


def _run(store: LocalStore, rules: BenignRules | None = None, flt: Filter | None = None) -> dict[str, cache.Analysed]:
    out = {}
    for item in cache.analysed(store, flt, rules):
        assert not isinstance(item, Skipped), item
        out[item[0].stem] = item[3]
    return out


def _fresh(store: LocalStore, rules: BenignRules | None = None) -> dict[str, cache.Analysed]:
    """What the cache must agree with: every capture read and analysed now."""
    return {c.id: cache.analyse(doc, rules) for doc, c in store.scan_checked()}


def _cache_file(store: LocalStore, kind: str = cache.ANALYSES) -> Path:
    [path] = [p for p in store.cache_dir.iterdir() if p.name.startswith(kind) and p.name.endswith(".jsonl")]
    return path


def test_a_capture_seen_before_is_neither_parsed_nor_analysed_again(tmp_path, analysed_ids):
    store = _store(tmp_path, [_doc(1), _doc(2)])
    first = _run(store)
    assert sorted(analysed_ids) == sorted(first) and first == _fresh(store)
    analysed_ids.clear()
    items = list(cache.analysed(store, None, None))
    assert analysed_ids == [] and all(doc is None for _, _, doc, _, _ in items)  # from the cache, unparsed
    assert {p.stem: a for p, _, _, a, _ in items} == first
    assert {p.stem for p, *_ in cache.analysed(store, Filter(host="h2"), None)} == {_doc(2)["id"]}


def test_a_changed_capture_never_gets_the_verdict_of_what_it_was(tmp_path, analysed_ids):
    store = _store(tmp_path, [_doc(1), _doc(2)])
    before = _run(store)
    path = store.captures_dir / f"{_doc(1)['id']}.json"
    doc = json.loads(path.read_text())
    doc["threads"] = [t for t in doc["threads"] if t["name"] != "worker-b"]  # no more deadlock
    path.write_text(json.dumps(doc))  # rewritten in place: same name, other bytes
    analysed_ids.clear()
    after = _run(store)
    assert analysed_ids == [doc["id"]]
    assert after == _fresh(store) and after[doc["id"]] != before[doc["id"]]
    assert before[doc["id"]].verdicts[0][0] == "deadlock" != after[doc["id"]].verdicts[0][0]


def test_other_benign_rules_never_get_the_verdicts_of_the_old_ones(tmp_path, analysed_ids):
    store = _store(tmp_path, [_doc(1)])
    plain = _run(store)
    rules = BenignRules(user=("dl:t1",))  # worker-a's stack, now idle by design
    ruled = _run(store, rules)
    assert ruled == _fresh(store, rules) and ruled != plain
    assert 1 in next(iter(ruled.values())).idle and 1 not in next(iter(plain.values())).idle
    analysed_ids.clear()
    assert _run(store) == plain and _run(store, rules) == ruled and analysed_ids == []  # both kept


def test_benign_txt_of_the_store_changes_what_clusters_says(tmp_path):
    import subprocess
    import sys

    store = _store(tmp_path, [_doc(1), _doc(2)])

    def clusters() -> list[dict]:
        res = subprocess.run([sys.executable, "-m", "forensics", "clusters", "--json", "--store", str(store.root)],
                             capture_output=True, text=True, check=True)
        return json.loads(res.stdout)

    before = clusters()
    assert clusters() == before
    (store.root / "benign.txt").write_text("dl:t1\ndl:t2\n")
    after = clusters()
    assert [c["category"] for c in before] == ["deadlock"] and [c["category"] for c in after] != ["deadlock"]


@pytest.mark.parametrize("damage", ["garbage", "torn", "wrong types", "other capture", "foreign key"])
def test_a_damaged_cache_entry_is_ignored_and_written_again(tmp_path, analysed_ids, damage):
    store = _store(tmp_path, [_doc(1), _doc(2)])
    want = _run(store)
    path = _cache_file(store)
    lines = path.read_bytes().splitlines()
    key, file, entry = lines[0].split(b" ", 2)  # "<key> <file token> <entry>"
    ident = json.loads(entry)[0]
    e = json.loads(entry)
    if damage == "garbage":
        lines[0] = key + b" " + file + b" \x00{not json"
    elif damage == "torn":
        lines[0] = lines[0][: len(lines[0]) // 2]
    elif damage == "wrong types":
        e[2][2][0][0] = 7  # a verdict kind that is not a string
        lines[0] = key + b" " + file + b" " + json.dumps(e).encode()
    elif damage == "other capture":
        e[0] = json.loads(lines[1].split(b" ", 2)[2])[0]  # an entry that claims another id
        lines[0] = key + b" " + file + b" " + json.dumps(e).encode()
    else:
        lines[0] = b"0" * 32 + b" " + file + b" " + entry
    path.write_bytes(b"\n".join(lines) + b"\n")
    analysed_ids.clear()
    assert _run(store) == want and analysed_ids == [ident]
    analysed_ids.clear()
    assert _run(store) == want and analysed_ids == []  # the appended entry now answers


def test_a_symlinked_or_unusable_cache_only_costs_time(tmp_path, analysed_ids):
    import shutil

    store = _store(tmp_path, [_doc(1)])
    want = _fresh(store)
    analysed_ids.clear()
    store.cache_dir.mkdir()
    victim = tmp_path / "victim"
    victim.write_text("keep")
    os.symlink(victim, store.cache_dir / f"analysis-{cache.namespace(None)}.jsonl")
    assert _run(store) == want and _run(store) == want
    assert victim.read_text() == "keep" and len(analysed_ids) == 2  # never read or written through the link
    shutil.rmtree(store.cache_dir)
    store.cache_dir.write_text("not a directory")
    assert _run(store) == want


def test_a_run_over_every_capture_drops_dead_entries(tmp_path):
    store = _store(tmp_path, [_doc(1)])
    capture = store.captures_dir / f"{_doc(1)['id']}.json"
    for n in range(3):  # the capture rewritten again and again: each version's entry stays until compacted
        capture.write_text(json.dumps(_doc(1, source=f"v{n}")))
        _run(store)
    path = _cache_file(store)
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) == 3
    path.write_bytes(lines[0] * 2000 + b"".join(lines))  # many dead lines
    _run(store, flt=Filter(host="h1"))  # not a run over every capture: nothing can be called dead
    assert len(path.read_bytes().splitlines()) == 2003
    assert _run(store) == _fresh(store)
    assert path.read_bytes().splitlines(keepends=True) == lines[-1:]


def test_a_lost_index_does_not_lose_the_analyses(tmp_path, analysed_ids):
    store = _store(tmp_path, [_doc(1), _doc(2)])
    want = _run(store)
    (store.captures_dir / ".index").unlink()  # every capture is new to the index again, not to the cache
    analysed_ids.clear()
    assert _run(store) == want and analysed_ids == []


def test_only_the_newest_namespaces_are_kept(tmp_path):
    store = _store(tmp_path, [_doc(1)])
    _run(store)
    ours = _cache_file(store)
    for age, name in enumerate(("analysis-old1.jsonl", "analysis-old2.jsonl", "analysis-old3.jsonl"), 1):
        (store.cache_dir / name).write_text("")
        os.utime(store.cache_dir / name, (ours.stat().st_mtime - 60 * age,) * 2)
    (store.cache_dir / "gdb-index").mkdir()  # what else lives in cache/ is left alone
    assert _run(store) == _fresh(store)
    assert sorted(p.name for p in store.cache_dir.iterdir()) == sorted(
        [".tmp", "gdb-index", "analysis-old1.jsonl", ours.name])


_VERDICTS = """
import sys
from forensics.store import cache
from forensics.store.local import LocalStore
import forensics
print(forensics.__file__)
for item in cache.analysed(LocalStore(sys.argv[1]), None, None):
    print(item[3].verdicts[0][1].splitlines()[0])
"""


def _verdicts_with(package: Path, store: LocalStore) -> list[str]:
    """The first verdict line of every capture, as ``cache.analysed`` gives it in a fresh interpreter that imports
    hangdump from ``package`` (a copy of its source tree, as an editable install is)."""
    import subprocess
    import sys

    res = subprocess.run([sys.executable, "-c", _VERDICTS, str(store.root)], capture_output=True, text=True,
                         check=True, cwd=package, env={**os.environ, "PYTHONPATH": str(package)})
    where, *lines = res.stdout.splitlines()
    assert Path(where).is_relative_to(package)  # the copy ran, not the checkout
    return lines


def test_a_change_of_the_rules_source_without_a_version_bump_is_never_served_old_verdicts(tmp_path):
    """An editable install: the analysis rules change between two runs, hangdump's version does not."""
    import shutil

    import forensics

    package = tmp_path / "src"
    shutil.copytree(Path(forensics.__file__).parent, package / "forensics",
                    ignore=shutil.ignore_patterns("__pycache__"))
    store = _store(tmp_path / "store", [_doc(1), _doc(2)])
    before = _verdicts_with(package, store)
    assert len(before) == 2 and _verdicts_with(package, store) == before
    with open(package / "forensics" / "analysis" / "verdict.py", "a") as fh:  # a rule that words verdicts otherwise
        fh.write("\n_plain = verdicts_from\n\n\ndef verdicts_from(*args, **kwargs):\n"
                 "    return tuple(replace(v, text='reworded: ' + v.text) for v in _plain(*args, **kwargs))\n"
                 "\n\nfrom dataclasses import replace  # noqa: E402\n")
    assert _verdicts_with(package, store) == ["reworded: " + v for v in before]


def test_a_rules_file_anywhere_under_the_analysis_package_is_part_of_the_namespace(tmp_path):
    import shutil

    import forensics

    base = tmp_path / "forensics"
    shutil.copytree(Path(forensics.__file__).parent, base, ignore=shutil.ignore_patterns("__pycache__"))
    seen = {cache.namespace(None, str(base))}
    for rel in ("analysis/rules/extra.toml", "analysis/rules/__init__.py", "analysis/benign.txt"):
        (base / rel).parent.mkdir(exist_ok=True)
        (base / rel).write_text("x = 1\n")
        seen.add(cache.namespace(None, str(base)))
    (base / "analysis" / "benign.txt").write_text("x = 2\n")
    seen.add(cache.namespace(None, str(base)))
    (base / "analysis" / "__pycache__").mkdir()
    (base / "analysis" / "__pycache__" / "classify.cpython-311.pyc").write_bytes(b"compiled")  # not a source
    assert cache.namespace(None, str(base)) in seen and len(seen) == 5


def test_the_cache_is_used_by_a_fresh_interpreter_whatever_it_imported_before(tmp_path):
    """The entry type names the clustering's classes, which the analysis package binds on first use."""
    import subprocess
    import sys

    store = _store(tmp_path, [_doc(1)])
    code = ("import sys\nfrom forensics.store import cache\n"
            "with cache.Cache.open(cache.Path(sys.argv[1]), None) as c:\n    print(c.active)\n")
    res = subprocess.run([sys.executable, "-c", code, str(store.cache_dir)], capture_output=True, text=True, check=True)
    assert res.stdout.split() == ["True"]


def _report(store: LocalStore) -> tuple:
    from forensics.report import build

    data = build.collect(store, progress=False)
    return data.payload.doc(), data.clusters, [(s.path, s.reason) for s in data.skipped]


@pytest.mark.parametrize("damage", ["truncated", "cut mid-line", "garbage", "garbage lines", "empty", "zeros",
                                    "a directory"])
def test_a_damaged_cache_file_is_ignored_and_rebuilt(tmp_path, analysed_ids, damage):
    """The whole file damaged (a full disk, a crash, a stray write): the report is what a fresh analysis gives, no
    error, and the next run has every capture cached again."""
    import random
    import shutil
    import subprocess
    import sys

    store = _store(tmp_path, [_doc(1), _doc(2), _doc(3, threads=[])])
    uncached = LocalStore(tmp_path)
    uncached.cache_dir = None  # type: ignore[assignment]
    want = _report(uncached)
    assert _report(store) == want

    def clusters() -> str:
        res = subprocess.run([sys.executable, "-m", "forensics", "clusters", "--json", "--store", str(store.root)],
                             check=False, capture_output=True, text=True)
        assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
        return res.stdout

    listed = clusters()
    path = _cache_file(store)
    data, rng = path.read_bytes(), random.Random(damage)
    if damage == "truncated":
        path.write_bytes(data[: data.index(b"\n") + 1 + 40])
    elif damage == "cut mid-line":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        path.write_bytes(rng.randbytes(len(data)))
    elif damage == "garbage lines":  # lines that look like entries: a key, a space, then anything
        path.write_bytes(b"".join(ln[:33] + rng.randbytes(len(ln) - 34).replace(b"\n", b" ") + b"\n"
                                  for ln in data.splitlines(keepends=True)))
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "zeros":
        path.write_bytes(b"\0" * len(data))
    else:
        path.unlink()
        path.mkdir()
    analysed_ids.clear()
    assert _report(store) == want
    assert clusters() == listed
    if damage == "a directory":
        analysed_ids.clear()
        assert _run(store) == _fresh(store) and len(analysed_ids) == 6  # analysed each time, cached never
        shutil.rmtree(path)
        assert _report(store) == want
    fresh = _fresh(store)
    analysed_ids.clear()
    assert _run(store) == fresh and analysed_ids == []  # rebuilt: every capture answered by the cache


@pytest.mark.parametrize("damage", ["a byte", "cut", "meta", "no piece"])
def test_a_damaged_piece_of_the_page_is_made_again_from_the_capture(tmp_path, analysed_ids, damage):
    """The report joins cached pieces unparsed: one that is not the text written (its checksum) is never joined."""
    from forensics.report import build, render

    store = _store(tmp_path, [_doc(1), _doc(2)])

    def page() -> str:
        data = build.collect(store, progress=False, pieces=True)
        return render.render_payload(data.payload, data.clusters, data.skipped, generated_at=0)

    want = page()
    analysed_ids.clear()
    assert page() == want
    warm = list(analysed_ids)  # the representatives' analyses: every capture's own is cached
    path = _cache_file(store, cache.PAGES)
    lines = path.read_bytes().splitlines()
    entry, _, text = lines[0].partition(b"\t")
    if damage == "a byte":
        at = text.index(b"MainThread")
        lines[0] = entry + b"\t" + text[:at] + b"X" + text[at + 1:]
    elif damage == "cut":
        lines[0] = entry + b"\t" + text[: len(text) // 2]
    elif damage == "meta":
        key, _, e = entry.partition(b" ")
        parsed = json.loads(e)
        parsed[2][0] = "not a pid"
        lines[0] = key + b" " + json.dumps(parsed).encode() + b"\t" + text
    else:
        lines[0] = entry
    path.write_bytes(b"\n".join(lines) + b"\n")
    analysed_ids.clear()
    assert page() == want and analysed_ids == warm  # its piece made again, its analysis (intact) not
    assert len(path.read_bytes().splitlines()) == 3
    assert page() == want and len(path.read_bytes().splitlines()) == 3


@pytest.fixture
def reads(monkeypatch) -> list[str]:
    """The capture files the store reads (the real reads, counted)."""
    seen: list[str] = []
    real = LocalStore._read_file
    monkeypatch.setattr(LocalStore, "_read_file", staticmethod(lambda fd, name: seen.append(name) or real(fd, name)))
    return seen


def test_a_file_unchanged_since_it_was_read_is_not_even_read_again(tmp_path, monkeypatch, reads, analysed_ids):
    store = _store(tmp_path, [_doc(1), _doc(2)])
    assert all(ln.split(b" ")[1] == b"-" for ln in (_run(store) and _cache_file(store).read_bytes()).splitlines())
    monkeypatch.setattr(cache, "_SETTLED_NS", 0)  # (instead of waiting 2 s: files this new may change unseen)
    want = _fresh(store)
    reads.clear()
    assert _run(store) == want and len(reads) == 2  # read, known by content, and now by file too
    reads.clear()
    analysed_ids.clear()
    assert _run(store) == want and reads == [] and analysed_ids == []
    data = list(cache.analysed(store, None, None, need_bytes=True))  # who parses the bytes itself gets them
    assert len(reads) == 2 and all(item[1] for item in data)


def test_a_file_rewritten_in_place_with_its_size_and_mtime_kept_is_read_and_analysed_again(tmp_path, monkeypatch,
                                                                                             analysed_ids):
    monkeypatch.setattr(cache, "_SETTLED_NS", 0)
    store = _store(tmp_path, [_doc(1)])
    before = _run(store)
    path = store.captures_dir / f"{_doc(1)['id']}.json"
    st = path.stat()
    doc = json.loads(path.read_text())
    doc["threads"] = [dict(t, frames=[]) for t in doc["threads"]]  # no more deadlock
    text = json.dumps(doc)
    path.write_text(text + " " * (st.st_size - len(text)))  # the same size
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # and mtime: only the ctime tells (no user can set it)
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    analysed_ids.clear()
    after = _run(store)
    assert analysed_ids == [doc["id"]] and after == _fresh(store) != before

"""Rules learned from the held-out hang programs (scripts/corpus/heldout/), on their recorded captures
(fixtures/corpus_heldout): thread entries, helper threads, lock identities, argument-order deadlocks,
semaphores, conditions and events, SQLite's busy handler."""
from __future__ import annotations

import json
import os
import textwrap
from collections import defaultdict
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from forensics.analysis import ThreadSignature, analyze, cluster, frame_similarity, thread_similarity
from forensics.analysis.source import lock_facts
from forensics.importers.files import import_file

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "fixtures" / "corpus_heldout"
PROGRAMS = ROOT / "scripts" / "corpus" / "heldout"
LABELS: dict[str, str] = json.loads((CORPUS / "labels.json").read_text())


def load(name: str) -> dict:
    return import_file(str(CORPUS / "captures" / name)).to_dict()


def with_source(name: str) -> dict:
    """A run-0 capture (no lines inserted) with its application frames pointed at the programs in the repo."""
    assert "-r00-" in name
    d = load(name)
    for t in d["threads"]:
        for f in t["frames"]:
            base = os.path.basename(f.get("file") or "")
            if f.get("kind") == "python" and base and (PROGRAMS / base).is_file():
                f["file"] = str(PROGRAMS / base)
    return d


def by_name(pa, prefix: str):
    return next(t for t in pa.threads if (t.name or "").startswith(prefix))


def captures_of(*causes: str) -> list[dict]:
    return [load(f) for f, c in sorted(LABELS.items()) if c in causes]


def causes_by_cluster(caps: list[dict]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for c in cluster(caps):
        for m in c.members:
            out[c.id].add(LABELS[os.path.basename(m.source)])
    return out


# -- clustering -----------------------------------------------------------------------------------------------


def test_heldout_corpus_one_cluster_per_cause():
    got = causes_by_cluster(captures_of(*set(LABELS.values())))
    assert all(len(v) == 1 for v in got.values()), got
    # one py-spy capture of batch_writer (no kernel state) blames its heartbeat: at most one cause split in two
    assert len(set(LABELS.values())) <= len(got) <= len(set(LABELS.values())) + 1


def test_two_deadlocks_through_the_same_helpers_stay_apart():
    # same module, same three helper frames above the wait; only the threads' entries differ
    got = causes_by_cluster(captures_of("sync_jobs.users", "sync_jobs.orders"))
    assert sorted(len(v) for v in got.values()) == [1, 1]


def test_entry_is_the_thread_target_beyond_the_top_frames():
    pa = analyze(load("sync_jobs.users-r00-py3.9-native.json"), read_source=False)
    sig = by_name(pa, "sync-users").signature
    assert sig.frames[:3] == ("sync_jobs:_take_pair", "sync_jobs:_guarded", "sync_jobs:run_step")
    assert sig.entry == "sync_jobs:sync_users"
    # a main thread's entry is its outermost application function; the launcher's <module> is never part of it
    assert by_name(pa, "MainThread").signature.entry in ("sync_jobs:main", "serve:start")


def test_pool_work_item_entry_is_the_task():
    pa = analyze(load("pool_readline-r00-py3.9-native.json"), read_source=False)
    task = next(t for t in pa.threads if t.category == "socket-read")
    assert task.signature.entry == "pool_readline:request"


frames_st = st.lists(st.sampled_from(["a:f", "a:g", "b:h", "c:i", "d:j"]), min_size=1, max_size=5).map(tuple)


@settings(max_examples=200, deadline=None)
@given(frames_st, frames_st, st.sampled_from(["x:job", "y:job", ""]), st.sampled_from(["x:job", "y:job", ""]))
def test_different_entries_never_merge(a, b, ea, eb):
    s = thread_similarity(ThreadSignature("", a, ea), ThreadSignature("", b, eb))
    if ea and eb and ea != eb:
        assert s == 0.0
    else:
        assert s == frame_similarity(a, b)


def test_helper_thread_with_two_frames_is_parked_and_does_not_split():
    # Heartbeat(threading.Thread).run() -> _tick() -> time.sleep(): a helper, present in some captures only
    pa = analyze(load("retry_sleep-r00-py3.9-native.json"), read_source=False)
    hb = by_name(pa, "heartbeat")
    assert hb.category == "sleep" and hb.parked and hb.signature.entry == "_common:run"
    assert not by_name(pa, "MainThread").parked  # the bug: sleep(3600) in the main thread's retry loop
    with_helper = [c for c in captures_of("retry_sleep") if any("heartbeat" in (t.get("name") or "")
                                                                for t in c["threads"])]
    without = [c for c in captures_of("retry_sleep") if c not in with_helper]
    assert with_helper and without
    # the whole corpus shows serve:start as a runner (it starts every program's main): both launchers merge
    ids = {os.path.basename(m.source): c.id for c in cluster(captures_of(*set(LABELS.values()))) for m in c.members}
    mine = {ids[os.path.basename(c["source"])] for c in with_helper + without}
    assert len(mine) == 1


def test_deep_recursion_is_not_a_helper():
    pa = analyze(load("deep_recursion-r00-py3.9-native.json"), read_source=False)
    crawler = by_name(pa, "crawler")
    assert crawler.category == "queue-get" and not crawler.parked
    assert crawler.signature.entry == "deep_recursion:crawl"


# -- classification ---------------------------------------------------------------------------------------------


def test_event_and_condition_waits_are_told_apart():
    pa = analyze(load("config_event_wait-r00-py3.9-native.json"), read_source=False)
    assert by_name(pa, "MainThread").detail == "Event.wait()"
    pa = analyze(load("batch_writer-r00-py3.9-native.json"), read_source=False)
    assert by_name(pa, "writer").detail == "Condition.wait()"


def test_sqlite_busy_handler_from_native_frames_keeps_the_sleep_family():
    native = analyze(load("sqlite_busy-r00-py3.9-native.json"), read_source=False)
    plain = analyze(load("sqlite_busy-r01-py3.10.json"), read_source=False)
    w_native, w_plain = by_name(native, "order-writer"), by_name(plain, "order-writer")
    assert w_native.category == w_plain.category == "sleep"  # one cluster with and without --native
    assert "sqlite3InvokeBusyHandler" in w_native.detail
    assert "SQLite" in native.verdicts[0].text and "database" in native.verdicts[0].text


# -- verdicts with the source ------------------------------------------------------------------------------------


def test_deadlock_between_classes_named_by_class():
    pa = analyze(with_source("inventory_orders-r00-py3.9-native.json"))
    top = pa.verdicts[0]
    assert top.kind == "deadlock" and top.text.startswith("lock-order deadlock between 2 threads: ")
    waits = {r.name: r.waits_for.shown() for r in top.roles}
    assert waits == {"order-worker": "Orders._lock", "refund-worker": "Inventory._lock"}


def test_deadlock_by_argument_order():
    pa = analyze(with_source("bank_transfer-r00-py3.9-native.json"))
    top = pa.verdicts[0]
    assert top.kind == "deadlock" and "by argument order" in top.text and "transfer()" in top.text
    assert {r.name for r in top.roles} == {"transfer-1", "transfer-2"}
    assert "different futex words" in " ".join(top.evidence)
    # no thread is told it waits for a lock "nobody holds": the lock depends on the arguments
    assert not any("no thread in this process holds it" in v.text for v in pa.verdicts)


def test_semaphore_exhaustion_is_not_a_mutex_deadlock():
    pa = analyze(with_source("rate_limited_fetch-r00-py3.9-native.json"))
    assert all(v.kind != "deadlock" for v in pa.verdicts)
    top = pa.verdicts[0]
    assert top.kind == "lock" and "semaphore `RateLimiter._slots`" in top.text and "never released" in top.text


def test_condition_wait_releases_its_lock_and_sqlite_connection_is_not_a_lock():
    pa = analyze(with_source("batch_writer-r00-py3.9-native.json"))
    assert pa.verdicts[0].roles[0].name == "writer" and "holding" not in pa.verdicts[0].text
    pa = analyze(with_source("sqlite_busy-r00-py3.9-native.json"))
    assert all("`conn`" not in v.text for v in pa.verdicts)


def test_join_ranks_after_the_thread_it_waits_for():
    pa = analyze(with_source("run_tool-r00-py3.9-native.json"))
    assert [v.kind for v in pa.verdicts][:2] == ["subprocess", "join"]


# -- source rules ------------------------------------------------------------------------------------------------

SRC = textwrap.dedent("""\
    import sqlite3
    import threading

    registry_lock = threading.Lock()


    class Store:
        def __init__(self):
            self._lock = threading.RLock()
            self._db = sqlite3.connect(":memory:")

        def put(self, other):
            with self._lock:
                with other.lock:
                    pass

        def save(self):
            with self._db:
                with registry_lock:
                    pass

        def dump(self, path):
            with open(path) as fh:
                with self._lock:
                    fh.read()
    """)


def test_lock_identities_and_non_locks(tmp_path):
    path = tmp_path / "store.py"
    path.write_text(SRC)
    put = lock_facts(str(path), 14)
    assert put.waits_for == "other.lock" and put.ident["other.lock"] == ""  # an alias: a parameter
    assert [h[0] for h in put.holds] == ["self._lock"] and put.ident["self._lock"] == "Store._lock"
    save = lock_facts(str(path), 19)
    assert save.waits_for == "registry_lock" and save.ident["registry_lock"] == "registry_lock"
    assert save.holds == ()  # a sqlite3 connection's `with` is a transaction, not a lock
    dump = lock_facts(str(path), 24)
    assert dump.waits_for == "self._lock" and dump.holds == ()  # open() is not a lock


def test_io_verdict_names_the_peer_from_kernel_state():
    cap = load("pool_readline-r00-py3.9-native.json")  # collected: the kernel state has the fake server's address
    pa = analyze(cap, read_source=False)
    reader = next(t for t in pa.threads if t.category == "socket-read")
    kernel = cap["threads"][reader.index]["kernel"]
    assert pa.verdicts[0].text.splitlines()[0].endswith(f"with no timeout from {kernel['peer']} (blocked in recv, not polling)")
    del kernel["peer"]
    assert " from " not in analyze(cap, read_source=False).verdicts[0].text  # no peer known: nothing invented
    kernel["peer"] = "127.0.0.1:6379"
    top = analyze(cap, read_source=False).verdicts[0]
    assert top.kind == "io" and "with no timeout from 127.0.0.1:6379" in top.text


def test_cluster_titles_name_the_call_sites_without_tids_and_never_repeat():
    clusters = cluster(captures_of(*set(LABELS.values())))
    titles = [c.title for c in clusters]
    assert len(set(titles)) == len(titles), titles
    assert not any("tid" in t for t in titles)
    deadlocks = [c.title for c in clusters if c.category == "deadlock"]
    assert any(t.startswith("lock-order deadlock: confirm() at inventory_orders.py:") and "↔ release()" in t
               or t.startswith("lock-order deadlock: release() at inventory_orders.py:") for t in deadlocks), deadlocks
    sync = [t for t in deadlocks if "_take_pair()" in t]
    assert len(sync) == 2 and sync[0] != sync[1]

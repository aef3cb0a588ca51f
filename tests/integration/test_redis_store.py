"""The fleet store on a real redis-server (tests/support.py: RedisServer): captures of several hosts in one Redis,
read back by ls/show/clusters/report with --host; an outage spools captures locally and they arrive once
after the restart; retention and the byte budget bound what Redis holds; passwords and TLS."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from forensics.errors import StoreError
from forensics.heartbeat import host_name
from forensics.model import Capture
from forensics.store.redis_store import RedisStore
from tests.support import REPO_ROOT, RedisServer, read_ready, spawn_hang, wait_blocked, wait_until

pytestmark = pytest.mark.integration

CORPUS = REPO_ROOT / "fixtures" / "corpus" / "captures"


def hangdump(*args: str, home: Path, host: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    env = dict(os.environ, HANGDUMP_HOME=str(home), PYTHONPATH=str(REPO_ROOT))
    env.pop("HANGDUMP_HOST", None)
    if host is not None:
        env["HANGDUMP_HOST"] = host
    res = subprocess.run([sys.executable, "-m", "forensics", *args], capture_output=True, text=True, env=env,
                         timeout=180, check=False)
    if check:
        assert res.returncode == 0, res.stderr
    return res


def corpus_captures(n: int, taken_at: float | None = None) -> list[Capture]:
    """Real captures from the labelled corpus, re-stamped now (or at ``taken_at``) with fresh ids."""
    from forensics.capture.base import new_capture_id
    from forensics.importers.files import import_file

    out = []
    for i, path in enumerate(sorted(CORPUS.glob("*.json"))[:n]):
        c = import_file(str(path))
        when = (time.time() if taken_at is None else taken_at) - i * 0.001
        out.append(c.with_changes(id=new_capture_id(when, c.host, c.pid, salt=f"t{i}"), taken_at=when))
    return out


def ls_json(url: str, home: Path, *extra: str) -> list[dict]:
    return json.loads(hangdump("ls", "--json", "--store", url, *extra, home=home).stdout)


def test_two_hosts_push_one_fleet_and_one_report_shows_both_in_the_same_cluster(redis_server, tmp_path):
    url = redis_server.url
    with spawn_hang("deadlock_ab") as hung:
        wait_blocked(hung.pid, [hung.tid("worker-a"), hung.tid("worker-b")])
        for host in ("web-1", "web-2"):
            res = hangdump("collect", "--pid", str(hung.pid), "--store", url, home=tmp_path / host, host=host)
            assert f"{redis_server.port}" in res.stderr and "spooled" not in res.stderr

    rows = ls_json(url, tmp_path / "reader")
    assert sorted(r["host"] for r in rows) == ["web-1", "web-2"]
    assert [r["host"] for r in ls_json(url, tmp_path / "reader", "--host", "web-2")] == ["web-2"]
    clusters = json.loads(hangdump("clusters", "--json", "--store", url, home=tmp_path / "reader").stdout)
    top = clusters[0]
    assert top["category"] == "deadlock" and top["hosts"] == 2 and len(top["members"]) == 2

    out = tmp_path / "fleet.html"
    res = hangdump("report", "--store", url, "-o", str(out), home=tmp_path / "reader")
    assert "2 captures, 1 clusters" in res.stderr
    html = out.read_text()
    assert "web-1" in html and "web-2" in html
    # each capture's analysis is cached on the reading host, by content (store/cache.py), and used the next time
    # (`clusters` cached the analyses, `report` added its pieces of the page: a later line of a key wins)
    [cache] = (tmp_path / "reader" / "cache").glob("redis-*/analysis-*.jsonl")
    entries = cache.read_text()
    assert len({line.split(" ", 1)[0] for line in entries.splitlines()}) == 2
    again = hangdump("report", "--store", url, "-o", str(tmp_path / "again.html"), home=tmp_path / "reader")
    assert "2 captures, 1 clusters" in again.stderr and cache.read_text() == entries
    one = hangdump("report", "--store", url, "--host", "web-1", "-o", str(tmp_path / "one.html"), home=tmp_path / "r")
    assert "1 captures" in one.stderr

    shown = hangdump("show", rows[0]["id"][-6:], "--store", url, home=tmp_path / "reader").stdout
    assert "deadlock" in shown and rows[0]["id"] in shown


def test_an_outage_spools_captures_that_arrive_once_after_the_restart(tmp_path):
    server = RedisServer(_dir(tmp_path, "redis"), persist=True)
    home = tmp_path / "home"
    before, during = corpus_captures(2)
    with server:
        store = RedisStore(server.url, root=home)
        assert store.put(before).status == "stored"
        server.kill()

        spooled = store.put(during)
        assert spooled.status == "spooled"
        files = list(store.spool.root.glob("captures/*.json"))
        assert [f.name for f in files] == [f"{during.id}.json"]
        assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
        res = hangdump("ls", "--store", server.url, home=home, check=False)
        assert res.returncode == 10 and res.stderr.count("\n") == 1 and "unreachable" in res.stderr

        server.start()
        ids = [r["id"] for r in ls_json(server.url, home)]  # the reader pushes this host's spool first
        assert sorted(ids) == sorted([before.id, during.id])
        assert not list(store.spool.root.glob("captures/*.json"))

        # A push whose reply was lost (applied, then the connection died) is spooled and replayed: a no-op.
        store.spool.put(before)
        assert store.drain().pushed == 1
        assert sorted(r["id"] for r in ls_json(server.url, home)) == sorted([before.id, during.id])
        assert store.put(during).status == "unchanged"


def test_a_write_redis_refuses_is_spooled_too_and_pushed_once_it_is_taken(redis_server, tmp_path):
    """A real refusal: maxmemory below what Redis already uses, no eviction policy: every write is OOM."""
    client = redis_server.client()
    store = RedisStore(redis_server.url, root=tmp_path / "home")
    first, second = corpus_captures(2)
    client.config_set("maxmemory-policy", "noeviction")
    client.config_set("maxmemory", str(int(client.info("memory")["used_memory"]) // 2))
    refused = store.put(first)
    assert refused.status == "spooled" and "refused the write" in str(refused.path) and "maxmemory" in str(refused.path)
    assert store.put(second).status == "spooled" and store.spool.pending() == 2
    client.config_set("maxmemory", "0")
    assert store.drain().pushed == 2 and store.spool.pending() == 0
    assert sorted(r["id"] for r in store.rows()) == sorted([first.id, second.id])


def test_retention_expires_old_captures_and_ls_says_so(redis_server, tmp_path):
    url = redis_server.url + "?retention=1h"
    home = tmp_path / "home"
    store = RedisStore(url, root=home)
    old = corpus_captures(1, taken_at=time.time() - 7200)[0]
    with pytest.raises(StoreError, match="older than the Redis store's"):
        store.put(old)
    assert (home / "captures" / f"{old.id}.json").exists()  # refused by Redis, kept on this host

    soon = corpus_captures(1, taken_at=time.time() - 3600 + 10)[0]  # ten seconds left
    fresh = corpus_captures(2)[1]
    assert store.put(soon).status == "stored" and store.put(fresh).status == "stored"
    assert redis_server.client().ttl(f"hangdump:cap:{soon.id}") <= 11

    wait_until(lambda: not redis_server.client().exists(f"hangdump:cap:{soon.id}"), timeout=30,
               what="Redis expiring the capture past the retention")
    res = hangdump("ls", "--store", url, home=home)
    assert soon.id not in res.stdout and fresh.id in res.stdout
    assert "1 capture(s) expired" in res.stderr and "retention" in res.stderr
    assert redis_server.client().zrange("hangdump:idx", 0, -1) == [fresh.id.encode()]


def test_the_byte_budget_evicts_oldest_first_and_bounds_what_redis_holds(redis_server, tmp_path):
    captures = corpus_captures(12)
    captures.sort(key=lambda c: c.taken_at)
    sizes = [len(zlib.compress(c.to_json().encode(), 6)) for c in captures]
    budget = sum(sizes[-4:]) + 1
    store = RedisStore(f"{redis_server.url}?budget={budget}", root=tmp_path / "home")
    for c in captures:
        assert store.put(c).status == "stored"
    kept = [r["id"] for r in store.rows()]
    assert kept == [c.id for c in captures[-len(kept):]] and 4 <= len(kept) < 12
    client = redis_server.client()
    assert int(client.get("hangdump:bytes")) <= budget
    assert int(client.hget("hangdump:stats", "evicted")) == 12 - len(kept)
    assert client.hlen("hangdump:meta") == len(kept) == client.zcard("hangdump:idx")
    assert len(client.keys("hangdump:cap:*")) == len(kept)
    assert any("evicted" in n for n in store.notes())


def test_a_password_is_used_but_never_shown_or_stored(tmp_path):
    """Including in the capture (with --locals) of a worker whose heartbeat backend holds the URL."""
    secret = "s3cr3t-" + os.urandom(4).hex()
    with RedisServer(_dir(tmp_path, "redis"), password=secret) as server:
        home = tmp_path / "home"
        hangdump("import", "--store", server.url, *map(str, sorted(CORPUS.glob("*.json"))[:2]), home=home)
        env = dict(os.environ, HANGDUMP_HEARTBEAT=server.url, PYTHONPATH=str(REPO_ROOT))
        worker = subprocess.Popen([sys.executable, "-m", "forensics.watch.worker", "--mode", "sleep_forever",
                                   "--resolution", "0.1"], stdout=subprocess.PIPE, env=env)
        try:
            assert read_ready(worker, time.monotonic() + 30)[0] is not None
            wait_until(lambda: server.client().hlen(f"hangdump:hb:{host_name()}"), what="a beat in Redis")
            res = hangdump("collect", "--pid", str(worker.pid), "--locals", "--store", server.url, home=home)
            assert secret not in res.stdout + res.stderr
        finally:
            worker.kill()
            worker.wait()
            worker.stdout.close()
        res = hangdump("ls", "--store", server.url, home=home)
        assert res.stdout.count("\n") == 4 and secret not in res.stdout + res.stderr
        docs = [json.dumps(doc) for _, doc in RedisStore(server.url, root=tmp_path / "r").scan_docs()]
        assert len(docs) == 3 and any('"locals"' in d for d in docs) and not any(secret in d for d in docs)
        wrong = server.url.replace(secret, "nope")
        res = hangdump("ls", "--store", wrong, home=home, check=False)
        assert res.returncode == 10 and "nope" not in res.stderr and "***@" in res.stderr
        report = hangdump("report", "--store", server.url, "-o", str(tmp_path / "r.html"), home=home)
        assert secret not in report.stderr and secret not in (tmp_path / "r.html").read_text()
        client = server.client()
        for key in client.keys("*"):
            kind = client.type(key)
            if kind == b"hash":
                assert secret.encode() not in b"".join(client.hgetall(key).values())
        assert all(secret not in p.read_text() for p in home.rglob("*") if p.is_file())


def test_tls_rediss_url_with_a_ca(tmp_path):
    with RedisServer(_dir(tmp_path, "redis"), tls=True) as server:
        home = tmp_path / "home"
        capture = corpus_captures(1)[0]
        assert RedisStore(server.url, root=home).put(capture).status == "stored"
        assert [r["id"] for r in ls_json(server.url, home)] == [capture.id]
        plain = f"redis://127.0.0.1:{server.port}/0"
        res = hangdump("ls", "--store", plain, home=home, check=False)
        assert res.returncode == 10 and "unreachable" in res.stderr


def test_bad_urls_are_one_line_usage_errors(tmp_path):
    for url, words in (("redis://:pw@127.0.0.1:notaport/0", "bad port"), ("redis://127.0.0.1:1/x", "database"),
                       ("redis://127.0.0.1:1/0?retention=soon", "retention")):
        res = hangdump("ls", "--store", url, home=tmp_path, check=False)
        assert res.returncode == 2 and words in res.stderr and res.stderr.count("\n") == 1, res.stderr
        assert "pw" not in res.stderr


def _dir(tmp_path: Path, name: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    return d

"""Redis URLs as hangdump takes them: what is shown never holds the password; hangdump's own settings come
out of the query, the rest goes to redis-py; bad URLs are one-line usage errors naming no secret."""
from __future__ import annotations

import subprocess
import sys

import pytest

from forensics.errors import UsageError
from forensics.store.redisurl import DEFAULT_BUDGET, DEFAULT_RETENTION_S, parse, shown_url
from forensics.store.select import label, local_root, open_store


@pytest.mark.parametrize(("url", "shown"), [
    ("redis://:hunter2@db.example:6379/0", "redis://***@db.example:6379/0"),
    ("rediss://app:hunter2@10.0.0.5:6380/3?ssl_ca_certs=/etc/ca.pem", "rediss://***@10.0.0.5:6380/3?ssl_ca_certs=..."),
    ("redis://hunter2@db/0", "redis://***@db/0"),  # a lone userinfo may be a password too
    ("redis://db:6379/1?retention=7d&password=hunter2", "redis://db:6379/1?retention=7d&password=..."),
])
def test_the_shown_url_never_holds_the_password(url, shown):
    assert shown_url(url) == shown
    target = parse(url)
    assert target.shown == shown and "hunter2" not in repr(target) and "hunter2" not in str(target)


def test_hangdump_settings_come_out_of_the_query_and_the_rest_goes_to_redis_py():
    t = parse("rediss://:pw@h:1/2?retention=12h&budget=64M&prefix=team-a&ssl_cert_reqs=none")
    assert (t.retention_s, t.budget, t.prefix) == (12 * 3600, 64 << 20, "team-a")
    assert t.url == "rediss://:pw@h:1/2?ssl_cert_reqs=none"
    assert t.key("cap", "x") == "team-a:cap:x"
    d = parse("redis://h:1/0")
    assert (d.retention_s, d.budget, d.prefix) == (DEFAULT_RETENTION_S, DEFAULT_BUDGET, "hangdump")
    assert parse("redis://:a@h:1/0").place == parse("redis://:b@h:1/0?ssl_ca_certs=x").place != parse("redis://h:1/1").place


@pytest.mark.parametrize(("url", "words"), [
    ("redis://:pw@h:port/0", "bad port"), ("redis://:pw@h:1/zero", "database"), ("redis://:pw@/0", "not a Redis URL"),
    ("redis://:pw@h:1/0?retention=forever", "retention"), ("redis://:pw@h:1/0?budget=lots", "budget"),
    ("redis://:pw@h:1/0?prefix=a:b", "prefix"),
])
def test_bad_urls_are_usage_errors_without_the_password(url, words):
    with pytest.raises(UsageError, match=words) as err:
        parse(url)
    assert ":pw@" not in err.value.one_line()


def test_a_store_spec_is_a_directory_or_a_url(tmp_path, monkeypatch):
    monkeypatch.setenv("HANGDUMP_HOME", str(tmp_path / "home"))
    assert local_root(str(tmp_path / "s")) == tmp_path / "s"
    assert local_root("redis://:pw@h:1/0") == tmp_path / "home"  # spool, cores, journal, benign.txt stay here
    store = open_store("redis://:pw@127.0.0.1:1/0")  # no connection is made until a command reads or writes
    assert label(store) == "redis://***@127.0.0.1:1/0" and store.root == tmp_path / "home"
    assert label(open_store(str(tmp_path / "s"))) == str(tmp_path / "s")


def test_commands_that_never_see_a_url_never_import_redis_py():
    code = ("import sys; from forensics.store.select import open_store; from forensics import heartbeat; "
            "import forensics.watch.watchdog; open_store(None); heartbeat.Heartbeat(); "
            "assert 'redis' not in sys.modules, sorted(m for m in sys.modules if 'redis' in m)")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)

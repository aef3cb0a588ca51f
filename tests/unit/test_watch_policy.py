"""Kill budgets, the breaker, the journal, metrics and settings: logic with a fake clock only where time is the input."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from forensics.errors import UsageError
from forensics.identity import identity
from forensics.watch import config
from forensics.watch.clock import FakeClock
from forensics.watch.journal import Journal
from forensics.watch.metrics import Metrics
from forensics.watch.policy import PolicyConfig, RateLimiter, breaker_tripped, plan_for


def test_restart_intensity_per_pool_with_a_sliding_window():
    clock = FakeClock()
    rl = RateLimiter(max_kills=3, window_s=60, clock=clock)
    assert [rl.allow("ppid:10") for _ in range(4)] == [True, True, True, False]
    assert rl.allow("ppid:11")  # another pool has its own budget
    clock.advance(59)
    assert not rl.would_allow("ppid:10")
    clock.advance(1.5)
    assert rl.would_allow("ppid:10") and rl.allow("ppid:10")


def test_a_wall_clock_jump_does_not_reset_the_budget(monkeypatch):
    import time

    clock = FakeClock()
    rl = RateLimiter(max_kills=1, window_s=60, clock=clock)
    assert rl.allow("p")
    monkeypatch.setattr(time, "time", lambda: 10**10)  # the wall clock jumps years ahead: nothing reads it
    assert not rl.allow("p")


def test_breaker_share_and_minimum():
    cfg = PolicyConfig(breaker_share=0.5, breaker_min=4)
    assert breaker_tripped(10, 8, cfg)
    assert not breaker_tripped(10, 5, cfg)
    assert not breaker_tripped(3, 3, cfg)  # too few targets to tell a shared cause


def test_plans():
    cfg = PolicyConfig(grace_s=7, memory_grace_s=90)
    assert plan_for("blocked", cfg).capture and plan_for("blocked", cfg).grace_s == 7
    assert not plan_for("memory", cfg).capture and plan_for("memory", cfg).grace_s == 90
    assert plan_for("orphan", cfg).capture  # what it was doing when its master died


def test_only_an_orphan_proven_by_its_own_heartbeat_is_ended_unless_configured():
    from forensics.watch.policy import report_only
    from forensics.watch.rules import Detection

    proven, seen, group = (Detection("orphan", {"basis": b}) for b in ("heartbeat", "first_seen", "process_group"))
    default = PolicyConfig()
    assert report_only(proven, default) is None
    shell = Detection("orphan", {"basis": "heartbeat", "recorded_parent_same_exe": False})  # nohup from a shell
    assert "another program" in report_only(shell, default) and report_only(shell, PolicyConfig(kill_orphans="all")) is None
    assert report_only(Detection("orphan", {"basis": "heartbeat", "recorded_parent_same_exe": True}), default) is None
    assert "first_seen" in report_only(seen, default) and "process_group" in report_only(group, default)
    assert all(report_only(d, PolicyConfig(kill_orphans="all")) is None for d in (proven, seen, group))
    assert all(report_only(d, PolicyConfig(kill_orphans="never")) for d in (proven, seen, group))
    assert report_only(Detection("blocked", {}), PolicyConfig(kill_orphans="never")) is None


def test_journal_survives_a_restart_and_forgets_processes_that_are_gone(tmp_path):
    path = str(tmp_path / "journal.jsonl")
    me = identity(os.getpid())
    gone = me._replace(start_ticks=me.start_ticks - 1)
    j = Journal(path)
    j.note(me, "captured")
    j.note(me, "signal", mono=12.5)
    j.note(gone, "kill", mono=3.0)
    with open(path, "a") as fh:
        fh.write('{"pid": 1, "cut sh')  # a crash mid-line
    again = Journal(path)
    rec = again.get(me)
    assert rec.captured and rec.first_signal_at == 12.5 and not rec.killed
    assert not again.get(gone).killed
    with open(path) as fh:
        assert all(json.loads(line)["pid"] == me.pid for line in fh)


def test_metrics_text_format():
    m = Metrics()
    m.inc("hangdump_watch_hangs_detected_total", rule="blocked")
    m.inc("hangdump_watch_hangs_detected_total", rule="blocked")
    m.set("hangdump_watch_scan_duration_seconds", 0.25)
    text = m.render()
    assert 'hangdump_watch_hangs_detected_total{rule="blocked"} 2' in text
    assert "# TYPE hangdump_watch_kills_total counter\nhangdump_watch_kills_total 0" in text
    assert "hangdump_watch_scan_duration_seconds 0.25" in text


def test_settings_from_toml_and_their_errors(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('[watch]\nstale = 45\nmatch = "celery worker"\nrss-limit = "2G"\ntree = [10, 11]\ndry_run = true\n'
                    'kill-orphans = "all"\n')
    cfg = config.build(config.load_toml(str(good)))
    assert cfg.rules.stale_s == 45 and cfg.match == ("celery worker",) and cfg.rules.rss_limit == 2 << 30
    assert cfg.trees == (10, 11) and cfg.policy.dry_run and cfg.policy.kill_orphans == "all"
    for text, needle in (("stale = -1", "out of range"), ('stale = "x"', "stale"), ("bogus = 1", "unknown setting"),
                         ("stale = ", "not valid TOML"), ('match = "("', "regular expression"),
                         ("breaker_share = 2", "out of range"), ('rss_limit = "lots"', "not a size"),
                         ('kill_orphans = "some"', "not one of never, proven, all")):
        bad = tmp_path / "bad.toml"
        bad.write_text(text + "\n")
        with pytest.raises(UsageError, match=needle):
            config.build(config.load_toml(str(bad)))


def test_every_setting_of_the_config_is_a_flag_too():
    from forensics.cli.watch import command

    flags = {p.name for p in command.params} | {"store"}  # --store is the common store option (store_dir)
    assert set(config.SETTINGS) <= flags, set(config.SETTINGS) - flags


def test_a_bad_config_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("grace = -3\n")
    res = subprocess.run([sys.executable, "-m", "forensics", "watch", "--config", str(bad), "--once"],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 2
    assert res.stderr.count("\n") == 1 and res.stderr.startswith("hangdump: error: grace")
    res = subprocess.run([sys.executable, "-m", "forensics", "watch", "--config", str(tmp_path / "missing.toml")],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 2 and "cannot read the config" in res.stderr


def test_the_example_deployment_config_is_valid():
    from tests.support import REPO_ROOT

    cfg = config.build(config.load_toml(str(REPO_ROOT / "deploy" / "watch.toml")))
    assert cfg.rules.memory_metric == "pss" and cfg.policy.grace_s == 30

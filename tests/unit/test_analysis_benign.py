"""Idle-by-design rules a user adds (--benign, the store's benign.txt) apply on every command that shows verdicts."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# a custom prefork master's idle worker: it reads the next job from its pipe (an application loop, no known
# framework), so the shipped rules call it a blocked read
IDLE_WORKER = ROOT / "fixtures" / "corpus_heldout" / "captures" / "prefork_master.idle_worker-r01-py3.10.json"
RULE = "prefork_master:next_job"


def hangdump(*args: str, store: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HANGDUMP_HOME=str(store))
    return subprocess.run([sys.executable, "-m", "forensics", *args], capture_output=True, text=True, env=env,
                          timeout=120, check=False)


def imported(store: Path) -> str:
    assert hangdump("import", str(IDLE_WORKER), store=store).returncode == 0
    return json.loads(hangdump("ls", "--json", store=store).stdout)[0]["id"]


def verdicts_of(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.startswith("  verdict:")]


def test_benign_pattern_on_show_clusters_and_report(tmp_path):
    store = tmp_path / "store"
    ident = imported(store)
    plain = hangdump("show", ident, store=store)
    assert "blocked reading a pipe" in plain.stdout
    quiet = hangdump("show", ident, "--benign", RULE, store=store)
    assert quiet.returncode == 0 and all("idle by design" in v for v in verdicts_of(quiet.stdout)), quiet.stdout
    clusters = json.loads(hangdump("clusters", "--json", "--benign", RULE, store=store).stdout)
    assert [c["category"] for c in clusters] == ["idle"]
    assert json.loads(hangdump("clusters", "--json", store=store).stdout)[0]["category"] == "io"
    out = tmp_path / "r.html"
    assert hangdump("report", "--benign", RULE, "-o", str(out), store=store).returncode == 0
    assert out.stat().st_size > 0


def test_the_store_benign_file_applies_without_the_flag(tmp_path):
    store = tmp_path / "store"
    ident = imported(store)
    (store / "benign.txt").write_text(f"# our own prefork loop\n{RULE}\n")
    shown = hangdump("show", ident, store=store)
    assert all("idle by design" in v for v in verdicts_of(shown.stdout)), shown.stdout


def test_a_pattern_that_is_not_a_frame_is_a_one_line_error(tmp_path):
    store = tmp_path / "store"
    ident = imported(store)
    res = hangdump("show", ident, "--benign", "next_job", store=store)
    assert res.returncode != 0 and "Traceback" not in res.stderr
    assert "not a frame pattern: 'next_job'" in res.stderr

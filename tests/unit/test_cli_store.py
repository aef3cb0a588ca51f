"""import / ls / show through the real CLI on recorded files: sources kept, bad files reported, store intact."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).parent.parent / "data"


def hangdump(*args: str, store: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HANGDUMP_HOME=str(store))
    return subprocess.run(
        [sys.executable, "-m", "forensics", *args], check=False, capture_output=True, text=True, env=env, timeout=60
    )


def test_import_pyspy_json_with_and_without_native(tmp_path):
    store = tmp_path / "store"
    plain = DATA / "pyspy" / "deadlock_py311.json"
    native = DATA / "pyspy" / "deadlock_py311_native_locals.json"
    res = hangdump("import", str(plain), str(native), "--host", "web-3", "--taken-at", "2026-11-20T10:30:00+00:00",
                   store=store)
    assert res.returncode == 0, res.stderr
    rows = json.loads(hangdump("ls", "--json", store=store).stdout)
    assert len(rows) == 2
    assert {r["source"] for r in rows} == {str(plain), str(native)}
    assert {r["host"] for r in rows} == {"web-3"}
    assert all(r["taken_at"] == 1795170600.0 for r in rows)
    assert all(r["pid"] == json.loads(plain.read_text())[0]["pid"] for r in rows)
    shown = json.loads(hangdump("show", rows[0]["id"], "--json", store=store).stdout)
    assert shown["method"] == "import" and shown["trigger"]["kind"] == "import"
    assert any(t["name"] == "worker-a" for t in shown["threads"])
    again = hangdump("import", str(plain), "--host", "web-3", "--taken-at", "2026-11-20T10:30:00+00:00", store=store)
    assert again.returncode == 0
    assert len(json.loads(hangdump("ls", "--json", store=store).stdout)) == 2  # same content, same id


def test_import_own_capture_file_keeps_its_id(tmp_path):
    src = DATA / "capture_deadlock_py311.json"
    res = hangdump("import", str(src), store=tmp_path)
    assert res.returncode == 0, res.stderr
    [row] = json.loads(hangdump("ls", "--json", store=tmp_path).stdout)
    assert row["id"] == json.loads(src.read_text())["id"]
    assert row["source"] == str(src)


def test_bad_import_files_are_reported_and_the_rest_imported(tmp_path):
    store = tmp_path / "store"
    good = DATA / "pyspy" / "deadlock_py311.json"
    hangdump("import", str(good), store=store)
    before = sorted(p.read_bytes() for p in (store / "captures").iterdir())
    garbage = tmp_path / "garbage.json"
    garbage.write_bytes(b"\x00\xffnot json")
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"hello": "world"}')
    res = hangdump("import", str(garbage), str(foreign), str(tmp_path / "missing.json"), str(good), store=store)
    assert res.returncode == 3
    errors = [ln for ln in res.stderr.splitlines() if ln]
    assert len(errors) == 3 and all(ln.startswith("hangdump: error: ") for ln in errors)
    assert "Traceback" not in res.stderr
    assert "garbage.json is neither JSON" in errors[0]
    assert "neither py-spy" in errors[1]
    assert "missing.json" in errors[2]
    assert sorted(p.read_bytes() for p in (store / "captures").iterdir()) == before


def test_corrupt_file_in_store_is_skipped_by_ls_and_show_reports_it(tmp_path):
    hangdump("import", str(DATA / "pyspy" / "deadlock_py311.json"), store=tmp_path)
    (tmp_path / "captures" / "20990101T000000.000Z-x-1-broken.json").write_text("{")
    res = hangdump("ls", store=tmp_path)
    assert res.returncode == 0
    assert "skipped" in res.stderr and "broken" in res.stderr
    assert len([ln for ln in res.stdout.splitlines() if ln]) == 2  # header + the good capture
    shown = hangdump("show", "broken", store=tmp_path)
    assert shown.returncode == 3 and "Traceback" not in shown.stderr and "not valid JSON" in shown.stderr


def test_ls_filters(tmp_path):
    src = DATA / "pyspy" / "deadlock_py311.json"
    for host, when in (("a", "2026-11-01"), ("b", "2026-11-10")):
        copy = tmp_path / f"{host}.json"
        shutil.copy(src, copy)
        hangdump("import", str(copy), "--host", host, "--taken-at", when, store=tmp_path / "s")
    ls = lambda *a: [r["host"] for r in json.loads(hangdump("ls", "--json", *a, store=tmp_path / "s").stdout)]
    assert ls() == ["a", "b"]
    assert ls("--host", "b") == ["b"]
    assert ls("--since", "2026-11-05") == ["b"]
    assert ls("--until", "2026-11-05") == ["a"]
    bad = hangdump("ls", "--since", "last tuesday", store=tmp_path / "s")
    assert bad.returncode == 2 and "cannot read the time" in bad.stderr


def test_unwritable_store_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = hangdump("import", str(DATA / "pyspy" / "deadlock_py311.json"), "--store", str(blocker / "sub"), store=tmp_path)
    assert res.returncode == 10 and "cannot write to the store" in res.stderr and "Traceback" not in res.stderr


def test_import_pyspy_text_dumps_and_cluster_them_with_json(tmp_path):
    """py-spy's default text output (what gets pasted into tickets) imports and clusters like its JSON."""
    text = DATA / "pyspy" / "deadlock_py311_native_locals.txt"
    res = hangdump("import", str(text), str(DATA / "pyspy" / "deadlock_py311.txt"),
                   str(DATA / "pyspy" / "deadlock_ab_now_py311.json"), store=tmp_path)
    assert res.returncode == 0, res.stderr
    rows = {r["source"]: r for r in json.loads(hangdump("ls", "--json", store=tmp_path).stdout)}
    doc = json.loads(hangdump("show", rows[str(text)]["id"], "--json", store=tmp_path).stdout)
    assert doc["pid"] == 26092 and doc["process"]["python_version"] == "3.11.7"
    worker = next(t for t in doc["threads"] if t["name"] == "worker-a")
    assert worker["tid"] == 26133
    python = [f for f in worker["frames"] if f["kind"] == "python"]
    assert python[0]["function"] == "transfer_a_to_b" and python[0]["line"] == 26
    assert worker["frames"][0]["kind"] == "native"
    assert any(v["name"] == "self" for f in worker["frames"] for v in f.get("locals", []))
    clusters = json.loads(hangdump("clusters", "--json", store=tmp_path).stdout)
    assert len(clusters) == 1 and len(clusters[0]["members"]) == 3

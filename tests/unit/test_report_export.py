"""Flame data and exports: icicle trees rooted at the waits, folded lines and speedscope files, and the CLI."""
import json
from pathlib import Path

from forensics.cli import main
from forensics.model import Capture, Frame, ThreadStack
from forensics.report import export, flame
from forensics.store.local import LocalStore

DATA = Path(__file__).parent.parent / "data"


def _capture(*stacks, ident="20260101T000000.000Z-h-1-aaaaaa") -> Capture:
    threads = tuple(
        ThreadStack(tid=i + 1, name=f"t{i}", frames=tuple(Frame("python", fn, "/app/m.py", 10 + j) for j, fn in enumerate(s)))
        for i, s in enumerate(stacks)
    )
    return Capture(id=ident, host="h", pid=1, taken_at=1767225600.0, method="import", threads=threads)


def test_icicle_is_rooted_at_the_waits_and_merges_lines():
    # leaf first: two threads wait in acquire under different callers, one sleeps
    c = _capture(["acquire", "transfer", "run"], ["acquire", "refund", "run"], ["sleep", "run"])
    c2 = _capture(["acquire", "transfer", "run"])
    tree = flame.icicle(flame.weighted_stacks([c, c2]).items())
    assert tree["name"] == "all" and tree["value"] == 4
    top = [(k["name"], k["value"]) for k in tree["children"]]
    assert top == [("acquire (m.py)", 3), ("sleep (m.py)", 1)]
    callers = [(k["name"], k["value"]) for k in tree["children"][0]["children"]]
    assert callers == [("transfer (m.py)", 2), ("refund (m.py)", 1)]


def test_folded_runs_root_to_leaf_and_counts_threads():
    c = _capture(["acquire", "transfer", "run"], ["acquire", "transfer", "run"], ["a;b", "run"])
    text = export.to_folded(flame.weighted_stacks([c]))
    assert text.splitlines() == ["run (m.py);a:b (m.py) 1", "run (m.py);transfer (m.py);acquire (m.py) 2"]


def test_speedscope_document_follows_the_file_format():
    c = _capture(["acquire", "transfer", "run"], ["sleep", "run"])
    doc = json.loads(export.to_speedscope([("all", flame.weighted_stacks([c]))]))
    assert doc["$schema"] == "https://www.speedscope.app/file-format-schema.json"
    names = [f["name"] for f in doc["shared"]["frames"]]
    (profile,) = doc["profiles"]
    assert profile["type"] == "sampled" and profile["endValue"] == sum(profile["weights"]) == 2
    stacks = [[names[i] for i in s] for s in profile["samples"]]
    assert ["run (m.py)", "transfer (m.py)", "acquire (m.py)"] in stacks  # root first
    assert len(names) == len(set(names))


def _store_with_corrupt_file(tmp_path) -> LocalStore:
    store = LocalStore(tmp_path)
    store.put(Capture.from_json((DATA / "capture_deadlock_py311.json").read_text()))
    (store.captures_dir / "broken.json").write_text('{"schema": "hangdump.capture/1", "id"')
    return store


def test_export_cli_writes_both_formats(tmp_path, capsys):
    store = _store_with_corrupt_file(tmp_path)
    again = Capture.from_json((DATA / "capture_deadlock_py311.json").read_text())
    store.put(again.with_changes(id="20261124T000000.000Z-vm2-7000-bbbbbb", host="vm2"))  # each stack counts twice
    assert main(["export", "--store", str(store.root), "--format", "folded"]) == 0
    out, err = capsys.readouterr()
    assert "broken.json" in err
    folded = out.splitlines()
    assert any(line.endswith(" 2") and "t1 (dl.py)" in line for line in folded)
    target = tmp_path / "out.speedscope.json"
    assert main(["export", "--store", str(store.root), "--format", "speedscope", "-o", str(target)]) == 0
    doc = json.loads(target.read_text())
    names = [f["name"] for f in doc["shared"]["frames"]]
    whole = doc["profiles"][0]
    # the file's first profile is the folded lines' picture: the same stacks, root first, with the same counts
    assert whole["name"] == "all captures"
    assert sorted(f"{';'.join(names[i] for i in s)} {w}" for s, w in zip(whole["samples"], whole["weights"])) == sorted(
        folded)


def test_report_cli_lists_a_corrupt_capture_as_skipped(tmp_path, capsys):
    from forensics.report.render import read_payload

    store = _store_with_corrupt_file(tmp_path)
    out = tmp_path / "hangs.html"
    assert main(["report", "--store", str(store.root), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "skipped" in err and "1 captures" in err
    html = out.read_text()
    assert 'id="skipped"' in html and "broken.json" in html
    assert len(read_payload(html)["c"]) == 1


def test_report_cli_empty_store(tmp_path):
    out = tmp_path / "hangs.html"
    assert main(["report", "--store", str(tmp_path / "nothing"), "--out", str(out)]) == 0
    assert "No clusters" in out.read_text()


def test_export_unknown_cluster_is_a_usage_error(tmp_path, capsys):
    store = _store_with_corrupt_file(tmp_path)
    assert main(["export", "--store", str(store.root), "--cluster", "nope"]) == 2
    assert "no cluster 'nope'" in capsys.readouterr().err

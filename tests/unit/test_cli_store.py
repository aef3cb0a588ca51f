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
    assert "already stored as" in again.stdout and "identical" in again.stdout


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
    before = sorted(p.read_bytes() for p in (store / "captures").glob("*.json"))
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
    assert sorted(p.read_bytes() for p in (store / "captures").glob("*.json")) == before


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


# -- ids, collisions, special files, one reader, full disks (issue 8 items 1, 7, 10, 11) ----------------

CAPTURE = DATA / "capture_deadlock_py311.json"


def _doc(**changes) -> dict:
    return dict(json.loads(CAPTURE.read_text()), **changes)


def _tree(root: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(root)): (p.read_bytes() if p.is_file() and not p.is_symlink() else None)
            for p in sorted(root.rglob("*"))}


def test_crafted_ids_on_import_write_nothing_anywhere(tmp_path):
    store = tmp_path / "a" / "b" / "store"
    store.mkdir(parents=True)
    escape = "../../../../escaped"  # from store/captures/ this names tmp_path/escaped.json
    files = []
    for i, ident in enumerate([escape, "/tmp/x", "a/b", "..", "", ".hidden", escape.replace("/", "%2f")]):
        f = tmp_path / f"crafted{i}.json"
        f.write_text(json.dumps(_doc(id=ident)))
        files.append(str(f))
    before = _tree(tmp_path)
    res = hangdump("import", *files, store=store)
    assert res.returncode == 3 and "Traceback" not in res.stderr
    errors = res.stderr.splitlines()
    assert len(errors) == len(files), errors
    assert all("is not a capture id" in e or "capture has no id" in e for e in errors), errors
    assert _tree(tmp_path) == before
    assert not (tmp_path / "escaped.json").exists()


def test_import_of_a_different_capture_with_a_taken_id_keeps_both(tmp_path):
    first, other = tmp_path / "first.json", tmp_path / "other.json"
    first.write_text(json.dumps(_doc(source="first")))
    other.write_text(json.dumps(_doc(source="other", host="elsewhere")))
    ident = _doc()["id"]
    assert hangdump("import", str(first), store=tmp_path / "s").stdout == f"imported {first} as {ident}\n"
    res = hangdump("import", str(other), store=tmp_path / "s")
    assert res.returncode == 0 and f"(its id {ident} belongs to a different capture)" in res.stdout
    new_id = res.stdout.split(" as ")[1].split()[0]
    rows = {r["id"]: r for r in json.loads(hangdump("ls", "--json", store=tmp_path / "s").stdout)}
    assert set(rows) == {ident, new_id}
    assert (rows[ident]["source"], rows[new_id]["source"], rows[new_id]["host"]) == ("first", "other", "elsewhere")
    for f, stored in ((first, ident), (other, new_id)):  # identical re-imports: no third file, and it says so
        again = hangdump("import", str(f), store=tmp_path / "s")
        assert again.stdout == f"{f}: already stored as {stored} (identical), nothing written\n"
    assert len(list((tmp_path / "s" / "captures").glob("*.json"))) == 2


def _bad_store(tmp_path) -> tuple[Path, dict[str, str]]:
    """A store with one good capture and one file of each kind every command must skip, with the reason."""
    store = tmp_path / "store"
    assert hangdump("import", str(CAPTURE), store=store).returncode == 0
    cap = store / "captures"

    def name(i: int, tail: str) -> str:
        return f"2026112{i}T000000.000Z-bad-{i}-{tail}.json"

    os.mkfifo(cap / name(1, "fifo"))
    os.symlink("/dev/zero", cap / name(2, "zero"))
    (cap / name(3, "deep")).write_text("[" * 100_000 + "]" * 100_000)
    (cap / name(4, "model")).write_text(json.dumps(_doc(id=name(4, "model")[:-5], taken_at="soon")))
    (cap / name(5, "wrongid")).write_text(json.dumps(_doc()))
    (cap / "not-an-id.json").write_text(json.dumps(_doc()))
    with open(cap / name(6, "huge"), "wb") as fh:
        fh.truncate(65 * 1024 * 1024)
    return store, {
        name(1, "fifo"): "the file is a FIFO, not a regular file",
        name(2, "zero"): "the file is a symbolic link (not followed)",
        name(3, "deep"): "not valid JSON: nested too deeply",
        name(4, "model"): "taken_at must be a number",
        name(5, "wrongid"): "is not the file's name",
        "not-an-id.json": "the file name is not a capture id",
        name(6, "huge"): "the file is over 64 MiB",
    }


def _skips(stderr: str) -> dict[str, str]:
    out = {}
    for line in stderr.splitlines():
        if line.startswith("hangdump: warning: skipped "):
            path, _, reason = line[len("hangdump: warning: skipped "):].partition(": ")
            out[os.path.basename(path)] = reason
    return out


def test_every_command_reads_through_one_reader_and_skips_the_same_files(tmp_path):
    """FIFO, /dev/zero symlink, 100k-deep JSON, model errors, wrong ids, a 65 MiB file: nothing hangs or blows up,
    and ls, clusters, report and export skip the same files for the same reasons."""
    store, expected = _bad_store(tmp_path)
    good = _doc()["id"]
    runs = {
        "ls": hangdump("ls", "--json", store=store),
        "clusters": hangdump("clusters", "--json", store=store),
        "report": hangdump("report", "--out", str(tmp_path / "r.html"), store=store),
        "export": hangdump("export", store=store),
    }
    seen = {}
    for cmd, res in runs.items():
        assert res.returncode == 0 and "Traceback" not in res.stderr, (cmd, res.stderr)
        seen[cmd] = _skips(res.stderr)
        assert set(seen[cmd]) == set(expected), cmd
        for f, why in expected.items():
            assert why in seen[cmd][f], (cmd, f, seen[cmd][f])
    assert len({tuple(sorted(s.items())) for s in seen.values()}) == 1  # word for word the same
    assert [r["id"] for r in json.loads(runs["ls"].stdout)] == [good]
    [cluster] = json.loads(runs["clusters"].stdout)
    assert cluster["member_ids"] == [good]
    for f, why in expected.items():
        if f != "not-an-id.json":
            shown = hangdump("show", f[:-5], store=store)
            assert shown.returncode == 3 and why in shown.stderr and "Traceback" not in shown.stderr, shown.stderr


def test_import_refuses_special_files_without_hanging(tmp_path):
    fifo = tmp_path / "dump.fifo"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.json"
    os.symlink("/dev/zero", zero)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    deep_obj = tmp_path / "deep_obj.json"
    deep_obj.write_text('{"a":' * 100_000 + "1" + "}" * 100_000)
    res = hangdump("import", str(fifo), str(zero), "/dev/zero", str(deep), str(deep_obj), store=tmp_path / "s")
    assert res.returncode == 3 and "Traceback" not in res.stderr
    errors = res.stderr.splitlines()
    assert [e.split(" (")[0] for e in errors] == [
        f"hangdump: error: {fifo} is a FIFO, not a regular file",
        f"hangdump: error: {zero} is a symbolic link",
        "hangdump: error: /dev/zero is a character device, not a regular file",
        f"hangdump: error: {deep} is neither JSON",
        f"hangdump: error: {deep_obj} is neither JSON",
    ]
    assert all("nested too deeply" in e for e in errors[3:])
    assert not (tmp_path / "s" / "captures").exists() or not list((tmp_path / "s" / "captures").glob("*.json"))


def test_report_is_written_whole_or_not_at_all_and_private(tmp_path):
    from tests.fs_support import fill, tiny_tmpfs

    store = tmp_path / "store"
    hangdump("import", str(CAPTURE), store=store)
    ok = hangdump("report", "--out", str(tmp_path / "r.html"), store=store)
    assert ok.returncode == 0 and os.stat(tmp_path / "r.html").st_mode & 0o777 == 0o600
    with tiny_tmpfs(tmp_path / "full") as full:
        (full / "hangs.html").write_text("the previous report")
        fill(full)
        before = _tree(full)
        res = hangdump("report", "--out", str(full / "hangs.html"), store=store)
        assert res.returncode == 10 and "Traceback" not in res.stderr
        assert res.stderr.splitlines() == [
            (f"hangdump: error: cannot write {full / 'hangs.html'}: No space left on device; nothing was written "
             "(free some space or write elsewhere (--out PATH))")
        ]
        assert _tree(full) == before  # the old report intact, no truncated file, no temp file
        exp = hangdump("export", "--out", str(full / "stacks.folded"), store=store)
        assert exp.returncode == 10 and _tree(full) == before

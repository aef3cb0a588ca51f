"""Source roots: a frame captured under another install root is read from the user's checkout."""
from __future__ import annotations

import pytest

from forensics.analysis import analyze
from forensics.analysis.source_roots import SourceRoots

CAPTURED = "/opt/mill-2.0/lib/python3.11/site-packages/mill/feeds.py"
SOURCE = "import socket\n\n\ndef pull(sock):\n    data = sock.recv(4096)\n    return data\n"
OTHER_RELEASE = "import socket\n\n\ndef pull(sock):\n    return b''\n\n\ndef other():\n    sock.recv(1)\n"


def dump(line: int = 5, function: str = "pull") -> dict:
    frames = [{"kind": "python", "function": function, "file": CAPTURED, "line": line},
              {"kind": "python", "function": "main", "file": CAPTURED.replace("feeds", "cli"), "line": 3}]
    return {"threads": [{"tid": 1, "name": "MainThread", "frames": frames}]}


def checkout(tmp_path, text: str = SOURCE):
    (tmp_path / "mill").mkdir()
    (tmp_path / "mill" / "feeds.py").write_text(text)
    return tmp_path


def test_without_a_root_the_call_is_an_honest_unknown():
    assert analyze(dump()).verdicts[0].kind == "unknown"


@pytest.mark.parametrize("spec", ["{d}", "/opt/mill-2.0/lib/python3.11/site-packages={d}"])
def test_a_prefix_map_or_a_bare_dir_finds_the_file_and_the_line_names_the_call(tmp_path, spec):
    roots = SourceRoots.parse([spec.format(d=checkout(tmp_path))])
    top = analyze(dump(), roots=roots).verdicts[0]
    assert top.kind == "io" and "likely: from the source line `data = sock.recv(4096)`" in top.text, top.text


def test_a_bare_dir_holding_another_release_gives_no_evidence(tmp_path):
    roots = SourceRoots.parse([str(checkout(tmp_path, OTHER_RELEASE))])
    assert roots.resolve(CAPTURED, "pull", 9) is None  # line 9 is in other(), not in pull()
    assert analyze(dump(line=9), roots=roots).verdicts[0].kind == "unknown"
    assert roots.resolve(CAPTURED, "pull", 5) is None  # in pull(), but a `return` there: not where a frame waits


def test_a_roots_file_is_relative_to_its_directory_and_bad_roots_are_refused(tmp_path):
    (tmp_path / "src").mkdir()
    checkout(tmp_path / "src")
    (tmp_path / "roots.txt").write_text("/opt/mill-2.0/lib/python3.11/site-packages=src\n")
    roots = SourceRoots.from_file(str(tmp_path / "roots.txt"))
    assert roots.resolve(CAPTURED, "pull", 5) == str(tmp_path / "src" / "mill" / "feeds.py")
    with pytest.raises(ValueError, match="not a directory"):
        SourceRoots.parse([str(tmp_path / "missing")])
    with pytest.raises(ValueError, match="empty captured prefix"):
        SourceRoots.parse([f"={tmp_path}"])


def test_show_and_clusters_read_the_sources_through_source_root_and_refuse_a_bad_one(tmp_path):
    """Through the real CLI: an imported py-spy dump, the user's checkout elsewhere."""
    import json
    import os
    import subprocess
    import sys

    def pyspy(name, file, line):
        return {"name": name, "filename": file, "module": None, "short_filename": os.path.basename(file),
                "line": line, "locals": None, "is_entry": False, "is_shim_entry": False}

    dumpfile = tmp_path / "dump.json"
    dumpfile.write_text(json.dumps([{"pid": 4242, "thread_id": 1, "thread_name": "MainThread", "os_thread_id": 4242,
                                     "active": False, "owns_gil": False,
                                     "frames": [pyspy("pull", CAPTURED, 5), pyspy("main", CAPTURED, 3)]}]))
    (tmp_path / "co").mkdir()
    src = checkout(tmp_path / "co")
    store = tmp_path / "store"

    def hangdump(*args):
        env = dict(os.environ, HANGDUMP_HOME=str(store))
        return subprocess.run([sys.executable, "-m", "forensics", *args], capture_output=True, text=True, env=env,
                              timeout=60, check=False)

    assert hangdump("import", str(dumpfile)).returncode == 0
    [row] = json.loads(hangdump("ls", "--json").stdout)
    plain = hangdump("show", row["id"])
    assert "cannot see into" in plain.stdout and "likely" not in plain.stdout
    shown = hangdump("show", row["id"], "--source-root", str(src))
    assert "likely: from the source line `data = sock.recv(4096)`" in shown.stdout, shown.stdout
    [c] = json.loads(hangdump("clusters", "--json", "--source-root", str(src)).stdout)
    assert c["category"] == "io", c
    page = tmp_path / "hangs.html"
    assert hangdump("report", "-o", str(page), "--source-root", str(src)).returncode == 0
    assert "likely: from the source line" in page.read_text()
    bad = hangdump("show", row["id"], "--source-root", str(tmp_path / "missing"))
    assert bad.returncode != 0 and "not a directory" in bad.stderr and "Traceback" not in bad.stderr
    (store / "source_roots.txt").write_text("co\n")  # the store's file, relative to the store
    (store / "co").symlink_to(src)
    assert "likely: from the source line" in hangdump("show", row["id"]).stdout

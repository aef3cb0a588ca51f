"""Plant known breakages in a temporary copy of the repo and check that the named tests catch each one.

    .venv/bin/python scripts/mutants.py [WORD ...]   # only the mutants whose name contains a WORD

Each mutant is (name, file, old text, new text, tests). The tree is copied, the text patched, and the tests
run there with this interpreter and PYTHONPATH at the copy (about 3 minutes for the set below). Prints breakage -> failing tests; exits 1 if a
breakage makes no test fail (or its text is no longer in the file: the mutant needs updating).
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GDB_KILL_AND_TIMEOUT = [
    f"tests/integration/test_gdb.py::{name}" for name in (
        "test_gdb_killed_mid_attach_leaves_target_running", "test_cli_gdb_killed_mid_attach",
        "test_gdb_timeout_resumes_target", "test_cli_gdb_honours_timeout")
]
MUTANTS = [
    ("deadlock cycle finder returns nothing", "forensics/analysis/verdict.py",
     "def _find_cycle(edges: dict[int, int]) -> list[int] | None:\n",
     "def _find_cycle(edges: dict[int, int]) -> list[int] | None:\n    return None\n",
     ["tests/integration/test_verdicts.py::test_deadlock_cycle3_with_rlock_and_condition"]),
    ("guard SIGKILLs the target instead of resuming it", "forensics/capture/guard.py",
     "            os.kill(ident.pid, signal.SIGCONT)\n", "            os.kill(ident.pid, signal.SIGKILL)\n",
     ["tests/integration/test_guard.py", *GDB_KILL_AND_TIMEOUT]),
    ("guard sends no SIGCONT", "forensics/capture/guard.py",
     "            os.kill(ident.pid, signal.SIGCONT)\n", "            pass\n",
     ["tests/integration/test_guard.py", *GDB_KILL_AND_TIMEOUT]),
    ("store put() writes in place: no temp file, fsync or link", "forensics/store/local.py",
     "    tmp, tfd = _new_temp(tmp_fd)\n    try:\n        write_all(tfd, data)\n",
     ("    out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600, dir_fd=fd)\n    write_all(out, data)\n"
     "    os.close(out)\n    return True\n    tmp, tfd = _new_temp(tmp_fd)\n    try:\n        write_all(tfd, data)\n"),
     ["tests/integration/test_store_durability.py::test_a_writer_killed_at_random_points_leaves_only_complete_captures"]),
    ("text-dump import skips redaction", "forensics/importers/files.py",
     "parse_pyspy_text(text, redact=redact)", "parse_pyspy_text(text, redact=False)",
     ["tests/integration/test_redaction.py", "tests/unit/test_cli_store.py"]),
    ("terminal escaping does nothing", "forensics/termsafe.py",
     "    return text if text.isprintable() else _UNSAFE.sub(_shown, text)\n", "    return text\n",
     ["tests/unit/test_summary.py", "tests/integration/test_termsafe.py"]),
    # issue 9 item 5: each passed the weak assertion a test had before (non-empty, serializes, autoescape is on)
    ("a capture with no threads gets an 'idle' verdict", "forensics/analysis/verdict.py",
     'return (Verdict("unknown", "no threads in this capture: nothing to explain"),)',
     'return (Verdict("idle", "nothing to explain"),)',
     ["tests/unit/test_analysis_classify.py::test_bad_input_is_unknown_never_a_crash"]),
    ("a stored verdict drops the locks each thread holds", "forensics/analysis/verdict.py",
     '"holds": [{"name": h.name, "where": h.where()} for h in r.holds],', '"holds": [],',
     ["tests/unit/test_analysis_classify.py::test_deadlock_verdict_names_holders_and_waiters"]),
    ("a lock holder's name is not stored in the capture", "forensics/model.py",
     '                "peer": self.peer,\n', "",
     ["tests/integration/test_fd_parties.py::test_lock_wait_names_the_holder"]),
    ("names undecodable as UTF-8 lose their bytes", "forensics/analysis/normalize.py",
     "    fn = function if isinstance(function, str) else",
     '    fn = function.encode("utf-8", "replace").decode() if isinstance(function, str) else',
     ["tests/unit/test_analysis_normalize.py::test_odd_field_types_do_not_raise"]),
    ("a signature keeps the outermost frames, not those at the wait", "forensics/analysis/classify.py",
     "frames_key = chain[:TOP_FRAMES] if chain", "frames_key = chain[-TOP_FRAMES:] if chain",
     ["tests/unit/test_analysis_normalize.py::test_signature_stable_under_line_shifts_paths_and_versions"]),
    ("speedscope export counts each stack once", "forensics/report/export.py",
     "            weights.append(n)\n", "            weights.append(1)\n",
     ["tests/unit/test_report_export.py::test_export_cli_writes_both_formats"]),
    ("the page title is rendered unescaped (|safe)", "forensics/report/templates/base.html",
     "<title>{{ title }}</title>", "<title>{{ title|safe }}</title>",
     ["tests/unit/test_report_render.py::test_every_field_the_templates_render_comes_out_escaped"]),
    ("templates are recompiled for every page (cache_size=0)", "forensics/report/render.py",
     "        lstrip_blocks=True,\n", "        lstrip_blocks=True,\n        cache_size=0,\n",
     ["tests/unit/test_report_render.py::test_templates_compile_once_per_process_not_per_page"]),
    ("the page inflates its payload as deflate, not gzip", "forensics/report/assets/report.js",
     'new DecompressionStream("gzip")', 'new DecompressionStream("deflate")',
     ["tests/integration/test_report_browser.py::test_the_pages_own_decoder_inflates_a_compressed_payload"]),
    # issue 10: a kept core no bigger on disk than twice the target's RSS
    ("a kept core dumps untouched stack and heap pages too", "forensics/capture/core.py",
     "if pagemap >= 0 and _untouched_zeros(m)}", "if pagemap >= 0 and not _untouched_zeros}",
     ["tests/integration/test_core.py::test_keep_core_of_200_threads_never_takes_more_disk_than_twice_its_rss"]),
]


def run(name: str, rel: str, old: str, new: str, tests: list[str]) -> list[str]:
    with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
        copy = Path(tmp) / "repo"
        shutil.copytree(REPO, copy, ignore=shutil.ignore_patterns(".venv", ".git", "__pycache__"))
        path = copy / rel
        text = path.read_text()
        if old not in text:
            return ["(mutant text not found: update it)"]
        path.write_text(text.replace(old, new, 1))
        env = {"PYTHONPATH": str(copy), "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin"}
        res = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rf", *tests],
                             check=False, cwd=copy, env=env, capture_output=True, text=True)
        return [line.split()[1] for line in res.stdout.splitlines() if line.startswith("FAILED ")]


def main(words: list[str]) -> int:
    missed = 0
    for name, rel, old, new, tests in MUTANTS:
        if words and not any(w in name for w in words):
            continue
        failing = run(name, rel, old, new, tests)
        caught = failing and not failing[0].startswith("(")
        missed += not caught
        print(f"{name} -> {', '.join(failing) if failing else 'NOTHING FAILS'}", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

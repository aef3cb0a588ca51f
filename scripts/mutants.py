"""Plant known breakages in a temporary copy of the repo and check that the named tests catch each one.

    .venv/bin/python scripts/mutants.py

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
MUTANTS = [
    ("deadlock cycle finder returns nothing", "forensics/analysis/verdict.py",
     "def _find_cycle(edges: dict[int, int]) -> list[int] | None:\n",
     "def _find_cycle(edges: dict[int, int]) -> list[int] | None:\n    return None\n",
     ["tests/integration/test_verdicts.py::test_deadlock_cycle3_with_rlock_and_condition"]),
    ("guard SIGKILLs the target instead of resuming it", "forensics/capture/guard.py",
     "            os.kill(ident.pid, signal.SIGCONT)\n", "            os.kill(ident.pid, signal.SIGKILL)\n",
     ["tests/integration/test_guard.py"]),
    ("guard sends no SIGCONT", "forensics/capture/guard.py",
     "            os.kill(ident.pid, signal.SIGCONT)\n", "            pass\n",
     ["tests/integration/test_guard.py"]),
    ("store put() writes in place: no temp file, fsync or link", "forensics/store/local.py",
     "    tmp, tfd = _new_temp(tmp_fd)\n    try:\n        write_all(tfd, data)\n",
     ("    out = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600, dir_fd=fd)\n    write_all(out, data)\n"
     "    os.close(out)\n    return True\n    tmp, tfd = _new_temp(tmp_fd)\n    try:\n        write_all(tfd, data)\n"),
     ["tests/integration/test_store_durability.py::test_a_writer_killed_at_random_points_leaves_only_complete_captures"]),
    ("text-dump import skips redaction", "forensics/importers/files.py",
     "parse_pyspy_text(text, redact=redact)", "parse_pyspy_text(text, redact=False)",
     ["tests/integration/test_redaction.py", "tests/unit/test_cli_store.py"]),
    ("terminal escaping does nothing", "forensics/termsafe.py",
     "    return _UNSAFE.sub(_shown, text)\n", "    return text\n",
     ["tests/unit/test_summary.py", "tests/integration/test_termsafe.py"]),
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


def main() -> int:
    missed = 0
    for name, rel, old, new, tests in MUTANTS:
        failing = run(name, rel, old, new, tests)
        caught = failing and not failing[0].startswith("(")
        missed += not caught
        print(f"{name} -> {', '.join(failing) if failing else 'NOTHING FAILS'}", flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

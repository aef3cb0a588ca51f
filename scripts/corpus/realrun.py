"""What the held-out corpus generators (blind.py, blind2/generate.py) share: the console-script wrapper pip
writes, the launch of an application's hung program in its own session, and the loop that captures every
variant, retrying one that did not reach its hang. The application corpora (blind5 on) build on these through
appcorpus.py (with variants.py and installs.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

CONSOLE_SCRIPT = """#!{python}
# -*- coding: utf-8 -*-
import re
import sys
from {module} import main
if __name__ == '__main__':
    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])
    sys.exit(main())
"""


class NotSettled(RuntimeError):
    """The variant did not reach its hang (no READY, threads never settled, or the capture failed)."""


class Named(Protocol):
    @property
    def file_name(self) -> str: ...


def sibling_generator(name: str):
    """Another corpus's ``generate.py`` as a module (``scripts/corpus/<name>/generate.py``), to reuse its pieces."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"{name}_generate", Path(__file__).parent / name / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def write_console_script(path: Path, python: str, module: str) -> None:
    """The wrapper `pip install` writes for a `console_scripts` entry point `module:main`."""
    path.write_text(CONSOLE_SCRIPT.format(python=python, module=module))
    path.chmod(0o755)


def program_env(**extra: str) -> dict[str, str]:
    """Our environment without proxies or Python/virtualenv settings (the program's install decides), plus extra."""
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy") and not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env.update(extra)
    return env


def launch(cmd: Sequence[str], env: dict[str, str], tmp: Path) -> subprocess.Popen:
    """The program in a session of its own (its whole group is killed afterwards), stdout piped for the READY
    line, stderr kept in tmp/stderr.txt for the error message."""
    with open(tmp / "stderr.txt", "wb") as err:
        return subprocess.Popen(list(cmd), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err, env=env,
                                cwd=str(tmp), start_new_session=True)


def capture_all(variants: Sequence[Named], run_one: Callable[[Named], dict], labels_path: Path,
                attempts: int = 3) -> bool:
    """Run every variant, up to `attempts` times each; labels.json is written even when interrupted.
    True when every variant was captured."""
    labels: dict[str, dict] = {}
    try:
        for v in variants:
            started = time.monotonic()
            for attempt in range(attempts):
                try:
                    labels[v.file_name] = run_one(v)
                    break
                except (NotSettled, subprocess.TimeoutExpired) as exc:
                    print(f"{v.file_name}: attempt {attempt + 1}: {exc}", file=sys.stderr)
            print(f"[{len(labels)}/{len(variants)}] {v.file_name} {time.monotonic() - started:.1f}s", file=sys.stderr)
    finally:
        labels_path.write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
    return len(labels) == len(variants)

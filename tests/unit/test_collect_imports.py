"""What a plain capture imports: none of the stdlib modules that cost a capture most for nothing.

dataclasses (with inspect) and typing were ~60 M instructions of a 5-thread collect's ~330 M: the capture path
uses forensics.records and ``TYPE_CHECKING = False`` instead; shutil and subprocess (with bz2 and lzma) come
with tempfile and gdb's session, which a live py-spy capture does not need; pathlib (with urllib.parse and
ipaddress, ~18 M) only names the store's directories, which a capture's put writes through their text; ast (~20 M) is
imported by the first source file parsed (forensics/lazy.py), and a capture whose sources are elsewhere parses none;
threading (~4 M) only by a pool's store writers and a worker's heartbeat, which a capture reads, never starts.
A module added to that path that imports them again shows here, not only in the benchmark.
"""
from __future__ import annotations

import subprocess
import sys

# what `hangdump collect --pid P` imports to capture, store and summarise (cli/collecting.py's fast path)
CAPTURE_PATH = ("forensics.launch", "forensics.capture.prestart", "forensics.cli.collecting", "forensics.targets",
                "forensics.capture.orchestrate", "forensics.capture.pyspy_live", "forensics.importers.pyspy",
                "forensics.fleet.role", "forensics.store.select", "forensics.summary", "forensics.analysis",
                "forensics.analysis.source_roots")
NOT_ON_IT = ("dataclasses", "inspect", "typing", "shutil", "subprocess", "pathlib", "urllib.parse", "ipaddress",
             "ast", "threading")


def test_the_capture_path_imports_none_of_them():
    code = (f"import sys\nfor m in {CAPTURE_PATH!r}: __import__(m)\n"
            f"print(' '.join(m for m in {NOT_ON_IT!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == []


def test_a_lazy_pattern_and_module_are_what_they_stand_for():
    from forensics import lazy

    rx = lazy.compile(r"(?i:b)(\d+)")
    assert rx.sub("x", "a B12 b3") == "a x x" and rx.fullmatch("b7").group(1) == "7" and rx.groups == 1
    owner = {}
    owner["json"] = lazy.module("json", owner)
    assert owner["json"].dumps([1]) == "[1]" and owner["json"] is sys.modules["json"]


def test_the_capture_path_compiles_no_source_of_its_own():
    """Records and tuple types are made from templates (forensics/templates.py): ~26 M instructions of compile()
    were every capture's. The stdlib's own (functools' namedtuple, imported by re before hangdump) is not counted."""
    code = f"""
import builtins, collections, functools, json, re, sys
made = []
for name in ("compile", "eval", "exec"):
    def hook(source, *args, _real=getattr(builtins, name), _name=name, **kwargs):
        caller = sys._getframe(1).f_code.co_filename
        if isinstance(source, str) and "importlib" not in caller:
            made.append(f"{{_name}} from {{caller}}")
        return _real(source, *args, **kwargs)
    setattr(builtins, name, hook)
for m in {CAPTURE_PATH!r}: __import__(m)
collections.namedtuple("Probe", "a")  # what the hooks see: one compile, from collections
print("\\n".join(made))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    made = out.stdout.split("\n")[:-1]
    assert len(made) == 1 and made[0].startswith("eval from ") and "collections" in made[0]

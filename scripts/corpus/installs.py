"""Where an application corpus's program is installed: each release's package tree (the same code with lines
shifted), the install roots a fleet has (a root per kind, release and interpreter, with its console scripts and
vendored redis-py), and the sources/ + source_roots.txt a corpus keeps for source-root scoring."""
from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from realrun import sibling_generator, write_console_script

shifted = sibling_generator("blind2").shifted
# redis-py for the redis jobs, vendored into each install (redis-py 8 imports on 3.11+ without extra packages)
REDIS_PY = Path(__import__("redis").__file__).parent

@dataclass(frozen=True)
class Package:
    source: Path  # the application's package directory in this repository
    releases: Mapping[str, int]  # release -> line-shift seed (0: the code as written)
    scripts: Mapping[str, str]  # console script -> the module whose main() it runs
    # root kind -> (install home under the prefix, the directory the package is put in under the home), as
    # str.format templates of {release}, {release_nodots}, {release_underscored}, {python} (3.11) and {py} (311);
    # the kind "venv" is a virtualenv of its own
    layout: Mapping[str, tuple[str, str]]
    source_version: str = ""  # the __version__ the source says, rewritten to each release's; "" keeps it
    shift_stride: int = 131  # a file's shift seed is release seed * stride + len(file name)

    @property
    def name(self) -> str:
        return self.source.name

    def home_of(self, prefix: Path, kind: str, release: str, python: str) -> tuple[Path, Path]:
        """(install home, the directory the package is put in) of one root."""
        fields = {"release": release, "release_nodots": release.replace(".", ""),
                  "release_underscored": release.replace(".", "_"), "python": python, "py": python.replace(".", "")}
        home, site = (template.format(**fields) for template in self.layout[kind])
        return prefix / home, prefix / home / site


def package_tree(package: Package, release: str) -> dict[str, str]:
    """File name -> text of the package as `release` installs it."""
    seed = package.releases[release]
    tree = {}
    for src in sorted(package.source.glob("*.py")):
        text = src.read_text()
        if package.source_version:
            text = text.replace(f'__version__ = "{package.source_version}"', f'__version__ = "{release}"')
        tree[src.name] = shifted(text, seed * package.shift_stride + len(src.name) if seed else 0)
    return tree


def write_tree(tree: Mapping[str, str], directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    for name, text in tree.items():
        (directory / name).write_text(text)


@dataclass(frozen=True)
class Install:
    python: str  # the interpreter (a virtualenv's own python in a venv root)
    bindir: Path  # where its console scripts are
    pythonpath: str | None  # what its service unit puts on PYTHONPATH (None in a virtualenv)
    site: str  # the import root the package is in (the labels' install_root)


def _outermost_missing(path: Path) -> Path | None:
    missing = None
    while not path.exists():
        missing, path = path, path.parent
    return missing


class Roots:
    """Install roots made on demand under `prefix`; `cleanup()` removes every directory this run created."""

    def __init__(self, package: Package, prefix: Path) -> None:
        self.package = package
        self.prefix = prefix
        self.made: dict[tuple[str, str, str], Install] = {}
        self.fresh: list[Path] = []
        self.pythons: dict[Path, str] = {}  # install home -> the interpreter its console scripts run

    def get(self, kind: str, release: str, python: str, base: str) -> Install:
        """The install of `release` in a root of `kind` for interpreter `python` (whose executable is `base`)."""
        key = (kind, release, python)
        if key in self.made:
            return self.made[key]
        home, site = self.package.home_of(self.prefix, kind, release, python)
        if self.pythons.setdefault(home, python) != python:
            # its bin/ would run the other interpreter's console scripts: labels would name the wrong Python
            raise ValueError(f"{self.package.name} root kind {kind!r}: {home} holds the installs of Python "
                             f"{self.pythons[home]} and {python}; put {{py}} in its layout")
        missing = _outermost_missing(home)
        if missing is not None and not any(missing.is_relative_to(f) for f in self.fresh):
            self.fresh.append(missing)
        exe = base
        if kind == "venv":
            home.parent.mkdir(parents=True, exist_ok=True)
            if not (home / "bin" / "python").exists():
                subprocess.run([base, "-m", "venv", "--without-pip", str(home)], check=True)
            exe = str(home / "bin" / "python")
        site.mkdir(parents=True, exist_ok=True)
        write_tree(package_tree(self.package, release), site / self.package.name)
        if not (site / "redis").exists():
            shutil.copytree(REDIS_PY, site / "redis", ignore=shutil.ignore_patterns("__pycache__"))
        bindir = home / "bin"
        bindir.mkdir(exist_ok=True)
        for name, module in self.package.scripts.items():
            write_console_script(bindir / name, exe, module)
        # a virtualenv finds its own site-packages; the other roots are put on PYTHONPATH by their units
        self.made[key] = Install(exe, bindir, None if kind == "venv" else str(site), str(site))
        return self.made[key]

    def cleanup(self) -> None:
        for path in self.fresh:
            shutil.rmtree(path, ignore_errors=True)


def write_sources(out: Path, package: Package) -> None:
    """out/sources/<release>/<package>/ (each captured release's tree as installed) and out/source_roots.txt
    (`install root=sources/<release>`, one line per captured install root), from out/labels.json."""
    labels = json.loads((out / "labels.json").read_text()).values()
    shutil.rmtree(out / "sources", ignore_errors=True)
    for release in sorted({label["release"] for label in labels}):
        write_tree(package_tree(package, release), out / "sources" / release / package.name)
    roots = sorted({(label["install_root"], label["release"]) for label in labels})
    (out / "source_roots.txt").write_text("".join(f"{root}=sources/{release}\n" for root, release in roots))

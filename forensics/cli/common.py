"""Options and parsing shared by several subcommands (click is imported by the options, not here: the
fast path of `collect` uses open_store and benign_rules without it, see cli/collecting.py)."""
from __future__ import annotations

import time
from collections.abc import Callable

from forensics import lazy
from forensics.errors import UsageError

TYPE_CHECKING = False  # what typing.TYPE_CHECKING is at run time; typing costs a capture ~5 ms to import
if TYPE_CHECKING:
    from typing import Any

_RELATIVE = lazy.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def store_option(f: Callable[..., Any]) -> Callable[..., Any]:
    import click

    return click.option(
        "--store",
        "store_dir",
        type=click.Path(file_okay=False),
        envvar="HANGDUMP_HOME",
        help="Capture store: a directory (default: $HANGDUMP_HOME, else $XDG_DATA_HOME/hangdump), or a fleet's "
             "Redis, redis://[:password@]host:port/db (rediss:// for TLS).",
    )(f)


def open_store(store_dir: str | None):
    from forensics.store.select import open_store

    return open_store(store_dir)


def parse_when(text: str | None, now: float | None = None) -> float | None:
    """Epoch seconds from '2026-11-20', '2026-11-20T10:30', an epoch number, or an age such as '2h' or '7d'."""
    if text is None:
        return None
    text = text.strip()
    now = time.time() if now is None else now
    m = _RELATIVE.match(text)
    if m:
        return now - float(m.group(1)) * _UNIT_S[m.group(2)]
    try:
        return float(text)
    except ValueError:
        pass
    from datetime import datetime  # here: collect, which never parses a time, runs through this module

    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"cannot read the time {text!r}", help="use 2026-11-20, 2026-11-20T10:30, an epoch, or an age like 2h / 7d"
        ) from None
    return dt.timestamp()


def filter_options(f: Callable[..., Any]) -> Callable[..., Any]:
    import click

    for opt in reversed(
        [
            click.option("--since", help="Only captures taken at/after this time (date, epoch, or age like 2h)."),
            click.option("--until", help="Only captures taken at/before this time."),
            click.option("--host", help="Only captures from this host."),
            click.option("--pid", type=int, help="Only captures of this pid."),
        ]
    ):
        f = opt(f)
    return f


def make_filter(since: str | None, until: str | None, host: str | None, pid: int | None):
    from forensics.store.local import Filter

    return Filter(since=parse_when(since), until=parse_when(until), host=host, pid=pid)


def warn_skipped(skipped) -> None:
    import click

    from forensics.termsafe import escape

    click.echo(f"hangdump: warning: skipped {escape(str(skipped.path))}: {escape(skipped.reason)}", err=True)



BENIGN_FILE = "benign.txt"
SOURCE_ROOTS_FILE = "source_roots.txt"


def _read_text(path: str) -> str:
    """``Path(path).read_text(encoding="utf-8")``: a capture reads these files without pathlib."""
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def source_root_option(f: Callable[..., Any]) -> Callable[..., Any]:
    import click

    return click.option(
        "--source-root", "source_root", multiple=True, metavar="[PREFIX=]DIR",
        help="Read sources captured elsewhere from DIR: PREFIX=DIR maps captured paths under PREFIX to DIR; a bare DIR "
             "finds a file by its longest trailing path (used only where the frame's function is on its line). "
             f"Repeatable; lines of the store's {SOURCE_ROOTS_FILE} always apply.",
    )(f)


def source_roots(specs: tuple[str, ...], store_dir: str | None):
    """The source roots of --source-root and the store's source_roots.txt (its relative DIRs are relative to the
    store); None when there are none (the analysis reads captured paths as they are)."""
    from forensics.store.local import child_text
    from forensics.store.select import local_root_text

    root = local_root_text(store_dir)
    path = child_text(root, SOURCE_ROOTS_FILE)
    try:
        lines = [ln.strip() for ln in _read_text(path).splitlines()]
    except FileNotFoundError:
        lines = []
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}", help="one [PREFIX=]DIR a line") from None
    stored = [ln for ln in lines if ln and not ln.startswith("#")]
    if not specs and not stored:
        return None
    from forensics.analysis.source_roots import SourceRoots

    try:
        return SourceRoots.parse(stored, base=root).combined(SourceRoots.parse(list(specs)))
    except ValueError as exc:
        raise UsageError(str(exc), help="--source-root [CAPTURED_PREFIX=]LOCAL_DIR, LOCAL_DIR an existing directory") from None


def benign_option(f: Callable[..., Any]) -> Callable[..., Any]:
    import click

    return click.option(
        "--benign", multiple=True, metavar="PATTERN",
        help="Extra idle-by-design stack: a module:function glob (join several with +); repeatable. "
             f"Patterns in the store's {BENIGN_FILE} (one per line) always apply.",
    )(f)


def benign_rules(patterns: tuple[str, ...], store_dir: str | None):
    """The shipped idle-by-design rules, extended by the store's benign.txt and --benign patterns (None: no extras)."""
    from forensics.store.local import child_text
    from forensics.store.select import local_root_text

    extra = list(patterns)
    path = child_text(local_root_text(store_dir), BENIGN_FILE)
    try:
        text = _read_text(path)
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}", help="one module:function pattern per line") from None
    extra += [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    bad = [p for p in extra if not all(":" in part for part in p.split("+"))]
    if bad:
        raise UsageError(f"not a frame pattern: {bad[0]!r}", help="use module:function globs, e.g. 'mylib.pool:idle*'")
    if not extra:
        return None  # without importing the analysis: collect imports it while py-spy runs
    from forensics.analysis import BenignRules

    return BenignRules(user=tuple(extra))

"""A directory of capture files, one JSON file per capture, written atomically.

Layout: ``ROOT/captures/<id>.json``. Ids start with the UTC time the capture was taken,
so a plain directory listing is already in time order. A file that does not parse is
reported as skipped, never fatal, and never rewritten.
"""
from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from forensics.errors import CaptureFormatError, StoreError
from forensics.model import Capture


def default_root() -> Path:
    env = os.environ.get("HANGDUMP_HOME")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(xdg) / "hangdump"


@dataclass(frozen=True, slots=True)
class Skipped:
    """A file in the store that is not a readable capture, and why."""

    path: Path
    reason: str


@dataclass(frozen=True, slots=True)
class Filter:
    since: float | None = None
    until: float | None = None
    host: str | None = None
    pid: int | None = None

    def accepts(self, c: Capture) -> bool:
        return (
            (self.since is None or c.taken_at >= self.since)
            and (self.until is None or c.taken_at <= self.until)
            and (self.host is None or c.host == self.host)
            and (self.pid is None or c.pid == self.pid)
        )


class LocalStore:
    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.captures_dir = self.root / "captures"

    def put(self, capture: Capture) -> Path:
        """Write atomically (temp file in the same directory, fsync, rename): readers never see half a file."""
        try:
            self.captures_dir.mkdir(parents=True, exist_ok=True)
            final = self.captures_dir / f"{capture.id}.json"
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=self.captures_dir)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as fh:
                    fh.write(capture.to_json())
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, final)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
        except OSError as exc:
            raise StoreError(
                f"cannot write to the store at {self.root}: {exc.strerror or exc}",
                help="pass --store DIR or set HANGDUMP_HOME to a writable directory",
            ) from None
        return final

    def paths(self) -> list[Path]:
        try:
            names = os.listdir(self.captures_dir)
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"cannot read the store at {self.root}: {exc.strerror or exc}") from None
        return [self.captures_dir / n for n in sorted(names) if n.endswith(".json") and not n.startswith(".")]

    @staticmethod
    def load(path: Path) -> Capture:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CaptureFormatError(f"cannot read {path}: {exc.strerror or exc}") from None
        return Capture.from_json(data)

    def scan(self, flt: Filter | None = None) -> Iterator[Capture | Skipped]:
        """Every capture passing the filter, oldest first, and a Skipped for every unreadable file."""
        flt = flt or Filter()
        for path in self.paths():
            try:
                capture = self.load(path)
            except CaptureFormatError as exc:
                yield Skipped(path, str(exc))
                continue
            if flt.accepts(capture):
                yield capture

    def get(self, ident: str) -> Capture:
        """A capture by id, or by a unique prefix or suffix of its id."""
        exact = self.captures_dir / f"{ident}.json"
        if exact.is_file():
            return self.load(exact)
        matches = [p for p in self.paths() if p.stem.startswith(ident) or p.stem.endswith(ident)]
        if not matches:
            raise StoreError(f"no capture {ident!r} in {self.root}", help="`hangdump ls` lists the stored captures")
        if len(matches) > 1:
            raise StoreError(f"{ident!r} matches {len(matches)} captures; give more of the id")
        return self.load(matches[0])

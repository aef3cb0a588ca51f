"""A directory of capture files, one JSON file per capture, written atomically.

Layout: ``ROOT/captures/<id>.json``; kept cores, compressed, at ``ROOT/cores/<id>.core.zst`` (or ``.gz``)
under a size budget (``$HANGDUMP_CORE_BUDGET``, default 2G) and a retention (``$HANGDUMP_CORE_DAYS``, default 14). Ids start with the UTC time the capture was taken,
so a plain directory listing is already in time order. A file that does not parse is
reported as skipped, never fatal, and never rewritten.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
        return self.accepts_values(c.taken_at, c.host, c.pid)

    def accepts_values(self, taken_at: float, host: str, pid: int | None) -> bool:
        return (
            (self.since is None or taken_at >= self.since)
            and (self.until is None or taken_at <= self.until)
            and (self.host is None or host == self.host)
            and (self.pid is None or pid == self.pid)
        )


class LocalStore:
    def __init__(self, root: Path | str | None = None) -> None:
        self.root = Path(root) if root is not None else default_root()
        self.captures_dir = self.root / "captures"
        self.cores_dir = self.root / "cores"

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
    def load_doc(path: Path) -> Any:
        """A capture file's JSON document, as parsed (not checked against the schema)."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CaptureFormatError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise CaptureFormatError(f"not valid JSON: {exc}") from None

    @classmethod
    def load_raw(cls, path: Path) -> tuple[Capture, dict]:
        """A capture file as the model and as the JSON document it was read from."""
        doc = cls.load_doc(path)
        return Capture.from_dict(doc), doc

    @classmethod
    def load(cls, path: Path) -> Capture:
        return cls.load_raw(path)[0]

    def scan_docs(self) -> Iterator[tuple[Path, Any] | Skipped]:
        """Every file's parsed JSON document with its path, oldest first; a Skipped per unreadable or non-JSON file.

        The one scan loop of the store. No model is built and nothing is checked beyond JSON: for readers
        that check what they use themselves (the report encodes 10k documents faster than it could build
        10k ``Capture`` objects); ``scan`` checks and filters.
        """
        for path in self.paths():
            try:
                yield path, self.load_doc(path)
            except CaptureFormatError as exc:
                yield Skipped(path, str(exc))

    def scan(self, flt: Filter | None = None) -> Iterator[Capture | Skipped]:
        """Every capture passing the filter, oldest first, and a Skipped for every unreadable file."""
        flt = flt or Filter()
        for item in self.scan_docs():
            if isinstance(item, Skipped):
                yield item
                continue
            path, doc = item
            try:
                capture = Capture.from_dict(doc)
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

    # -- kept cores -------------------------------------------------------------------------------------

    def core_workdir(self, capture_id: str) -> str:
        """A private directory on the store's filesystem for a raw core being written (removed by the caller)."""
        try:
            self.cores_dir.mkdir(parents=True, exist_ok=True)
            return tempfile.mkdtemp(prefix=f".tmp-{capture_id}-", dir=self.cores_dir)
        except OSError as exc:
            raise StoreError(f"cannot write cores under {self.cores_dir}: {exc.strerror or exc}") from None

    def core_paths(self) -> list[Path]:
        try:
            names = os.listdir(self.cores_dir)
        except FileNotFoundError:
            return []
        return sorted(self.cores_dir / n for n in names if ".core" in n and not n.startswith("."))

    def core_of(self, capture_id: str) -> Path | None:
        return next((p for p in self.core_paths() if p.name.split(".core")[0] == capture_id), None)

    def put_core(self, capture_id: str, raw: str, rss: int | None = None) -> Path:
        """Compress a raw core into the store, then prune older cores to the budget and retention."""
        from forensics.capture import core as corefile

        budget = corefile.parse_size(os.environ.get("HANGDUMP_CORE_BUDGET", "2G"))
        final = Path(corefile.compress(raw, str(self.cores_dir / f"{capture_id}.core")))
        self.prune_cores(budget, float(os.environ.get("HANGDUMP_CORE_DAYS", "14")) * 86400, keep=final)
        return final

    def prune_cores(self, budget: int, max_age_s: float, keep: Path | None = None, now: float | None = None) -> list[Path]:
        """Delete cores older than max_age_s, then the oldest until the total fits the budget. Never ``keep``."""
        import time

        now = time.time() if now is None else now
        entries = []
        for p in self.core_paths():
            try:
                st = p.stat()
            except OSError:
                continue
            entries.append((st.st_mtime, st.st_blocks * 512, p))
        entries.sort()
        removed = []
        total = sum(size for _, size, _ in entries)
        for mtime, size, p in entries:
            if p == keep:
                continue
            if now - mtime > max_age_s or total > budget:
                try:
                    p.unlink()
                except OSError:
                    continue
                total -= size
                removed.append(p)
        return removed

"""Which store a ``--store`` value names: a directory (the local store) or a ``redis://``/``rediss://`` URL (the
fleet store, ``redis_store.py``). Both have the interface below, which is all the commands use.

Only the selection lives here, so a command that never sees a URL never imports redis-py.
"""
from __future__ import annotations

from collections.abc import Iterator

from forensics.heartbeat import is_redis_url
from forensics.model import Capture
from forensics.store.local import Filter, LocalStore, Skipped, Stored, default_root_text, path_text

TYPE_CHECKING = False  # what typing.TYPE_CHECKING is at run time; typing costs a capture ~5 ms to import
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Protocol
else:
    Protocol = object  # the interface is for the type checker: nothing checks it at run time


class CaptureStore(Protocol):
    """What the commands need of a store. ``root`` is a local directory either way (journal, benign.txt, cores,
    and for Redis the spool); ``paths`` and the yielded locations need only ``stem`` (the id) and ``str``."""

    root: Path

    def put(self, capture: Capture, doc: dict | None = None) -> Stored: ...
    def read(self, ident: str) -> tuple[dict, Capture]: ...
    def get(self, ident: str) -> Capture: ...
    def find(self, ident: str) -> Capture | None: ...
    def paths(self) -> list: ...
    def rows(self, flt: Filter | None = None) -> Iterator[dict | Skipped]: ...
    def scan(self, flt: Filter | None = None) -> Iterator[Capture | Skipped]: ...
    def scan_docs(self) -> Iterator[tuple | Skipped]: ...
    def scan_valid_docs(self, flt: Filter | None = None) -> Iterator[tuple | Skipped]: ...


def open_store(spec: str | None) -> CaptureStore:
    """The store ``spec`` names (None: the default local directory)."""
    if is_redis_url(spec):
        from forensics.store.redis_store import RedisStore

        return RedisStore(spec)  # type: ignore[arg-type]
    return LocalStore(spec)


def local_root(spec: str | None) -> Path:
    """The local directory a store keeps its host-local files in (for a URL: $HANGDUMP_HOME or the default)."""
    from pathlib import Path

    return Path(local_root_text(spec))


def local_root_text(spec: str | None) -> str:
    """``str(local_root(spec))``, without pathlib (what a capture reads there: benign.txt, source_roots.txt)."""
    return default_root_text() if spec is None or is_redis_url(spec) else path_text(spec)


def label(store: CaptureStore) -> str:
    """How a message names the store: its directory, or its URL without the password."""
    return getattr(store, "shown", None) or str(store.root)


def notes(store: CaptureStore) -> list[str]:
    """What a store has to say after a listing (the Redis store: expired, evicted, spooled captures)."""
    return list(getattr(store, "notes", list)())

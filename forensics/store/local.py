"""A directory of capture files, one JSON file per capture, written atomically, read defensively.

Layout: ``ROOT/captures/<id>.json``; files being written in ``ROOT/captures/.tmp/``; the index `ls` and the
filters read, in ``ROOT/captures/.index`` (``index.py``); kept cores, compressed,
at ``ROOT/cores/<id>.core.zst`` (or ``.gz``) under a size budget (``$HANGDUMP_CORE_BUDGET``, default 2G) and a
retention (``$HANGDUMP_CORE_DAYS``, default 14). Ids start with the UTC time the capture was taken, so a
plain directory listing is already in time order.

hangdump runs as root over files others can make, so every file is opened relative to the captures
directory's descriptor, never through a symbolic link (not even ``captures`` itself), and only after its
name was checked against the id grammar (``ids.py``); only regular files of bounded size are read
(``fileio.py``). Every command reads through ``scan_docs``/``scan``/``read``: a file one command skips
is skipped by all, with the same reason, and never rewritten.
"""
from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import time
from collections.abc import Callable, Iterator

from forensics.errors import CaptureFormatError, StoreError
from forensics.records import record
from forensics.store import index
from forensics.store.fileio import parse_json, read_regular, write_all
from forensics.store.ids import check_id, is_capture_id, with_tail

TYPE_CHECKING = False  # what typing.TYPE_CHECKING is at run time; typing costs a capture ~5 ms to import
if TYPE_CHECKING:
    from pathlib import Path

    from forensics.model import Capture
    from forensics.store.redis_store import KeyPath

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
TMP_DIR = ".tmp"
_MAX_ATTEMPTS = 16
_MAX_INDEX_BYTES = 1 << 30


def _capture_type() -> type[Capture]:
    """The model, imported when a capture is built: `ls` off the index needs none (the import is ~20 ms)."""
    from forensics.model import Capture

    return Capture


def default_root() -> Path:
    from pathlib import Path

    return Path(default_root_text())


def default_root_text() -> str:
    """``default_root()`` as text, without pathlib (~18 M instructions of every capture with urllib.parse)."""
    env = os.environ.get("HANGDUMP_HOME")
    if env:
        return path_text(env)
    xdg = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return child_text(path_text(xdg), "hangdump")


def path_text(path: str | os.PathLike) -> str:
    """``str(Path(path))`` without pathlib: repeated slashes and ``.`` parts dropped, no trailing slash, ``//``
    kept as a root (POSIX), ``""`` -> ``"."``."""
    text = os.fspath(path)
    if not isinstance(text, str):
        raise TypeError(f"expected a str path, not {type(text).__name__}")
    root = "//" if text.startswith("//") and not text.startswith("///") else "/" if text.startswith("/") else ""
    parts = [p for p in text.split("/") if p and p != "."]
    return root + "/".join(parts) if root or parts else "."


def child_text(parent: str, name: str) -> str:
    """``str(Path(parent) / name)`` for a ``path_text`` parent and one plain name."""
    if parent == ".":
        return name
    return parent + name if parent.endswith("/") else f"{parent}/{name}"


@record
class Skipped:
    """A file in the store that is not a readable capture, and why."""

    path: Path
    reason: str


@record
class Stored:
    """Where ``put`` left a capture: ``stored``; ``unchanged`` (an identical capture was already there); or
    ``renamed`` (its id belonged to a different capture, so it got ``id``, a new one). ``path``: where it is, as
    ``str()`` shows it (the file's path; for Redis a ``KeyPath``), made without pathlib."""

    id: str
    path: str | KeyPath
    status: str


@record
class Filter:
    """Which captures a store command lists (--since, --until, --host, --pid); tests a row as well as a capture."""

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


def _accepts(flt: Filter, value: dict | str) -> bool:
    """A skip reason always passes (every command reports what it skips); a row passes the filter's test."""
    return isinstance(value, str) or flt.accepts_values(value["taken_at"], value["host"], value["pid"])


def _open_dir(name: str, dir_fd: int | None, create: bool) -> int:
    if create:
        with contextlib.suppress(FileExistsError):
            os.mkdir(name, 0o700, dir_fd=dir_fd)
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):
            raise OSError(exc.errno, f"{name} is not a directory (symbolic links are not followed)") from None
        raise


# LocalStore's ``root``, ``captures_dir``, ``cores_dir`` and ``cache_dir`` (store/cache.py: each capture's analysis,
# by content): Paths made on first use (``__getattr__``), as a capture's put needs only their text
_DIRS = {"root": "", "captures_dir": "captures", "cores_dir": "cores", "cache_dir": "cache"}


class LocalStore:
    def __init__(self, root: Path | str | None = None) -> None:
        self._root = path_text(root) if root is not None else default_root_text()
        self._captures = child_text(self._root, "captures")
        self._workdir_locks: dict[str, int] = {}  # core_workdir's directories and the descriptors that lock them

    def __getattr__(self, name: str):
        sub = _DIRS.get(name)
        if sub is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        from pathlib import Path

        value = Path(child_text(self._root, sub) if sub else self._root)
        setattr(self, name, value)
        return value

    # -- the captures directory -------------------------------------------------------------------

    @contextlib.contextmanager
    def _captures_fd(self, create: bool = False) -> Iterator[int | None]:
        """A descriptor of ``captures`` (None when it does not exist and ``create`` is false)."""
        try:
            if create:
                os.makedirs(self._root, mode=0o700, exist_ok=True)
            root_fd = os.open(self._root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                fd = _open_dir("captures", root_fd, create)
            finally:
                os.close(root_fd)
        except FileNotFoundError:
            if create:
                raise self._error(create, "no such directory") from None
            yield None
            return
        except OSError as exc:
            raise self._error(create, exc.strerror or str(exc)) from None
        try:
            yield fd
        finally:
            os.close(fd)

    def _error(self, writing: bool, why: str) -> StoreError:
        if writing:
            return StoreError(f"cannot write to the store at {self.root}: {why}",
                              help="pass --store DIR or set HANGDUMP_HOME to a writable directory")
        return StoreError(f"cannot read the store at {self.root}: {why}")

    @staticmethod
    def _names(fd: int | None) -> list[str]:
        """The names a capture could have: ``*.json``, not hidden (temp files and ``.tmp`` are hidden)."""
        if fd is None:
            return []
        return sorted(n for n in os.listdir(fd) if n.endswith(".json") and not n.startswith("."))

    def paths(self) -> list[Path]:
        with self._captures_fd() as fd:
            try:
                return [self.captures_dir / n for n in self._names(fd)]
            except OSError as exc:
                raise self._error(False, exc.strerror or str(exc)) from None

    def fingerprint(self) -> tuple:
        """What changes when a capture file is added, removed or rewritten (name, inode, mtime, size)."""
        with self._captures_fd() as fd:
            out = []
            for n in self._names(fd):
                with contextlib.suppress(OSError):
                    st = os.stat(n, dir_fd=fd, follow_symlinks=False)
                    out.append((n, st.st_ino, st.st_mtime_ns, st.st_size))
            return tuple(out)

    # -- reading: the one reader of every command ---------------------------------------------------

    @staticmethod
    def _read_file(fd: int, name: str) -> tuple[bytes, os.stat_result]:
        """The bytes and fstat of the capture file ``name``; CaptureFormatError if it cannot be one."""
        if not is_capture_id(name[: -len(".json")]):
            raise CaptureFormatError("the file name is not a capture id")
        return read_regular(name, dir_fd=fd, shown="the file")

    @staticmethod
    def _doc_of(name: str, data: bytes) -> dict:
        """The JSON object in a capture file's bytes; CaptureFormatError saying why it is not one."""
        doc = parse_json(data)
        if not isinstance(doc, dict):
            raise CaptureFormatError(f"not a capture (a JSON {type(doc).__name__})")
        if doc.get("id") != name[: -len(".json")]:
            raise CaptureFormatError(f"its id {str(doc.get('id'))[:80]!r} is not the file's name")
        return doc

    @classmethod
    def _read_doc(cls, fd: int, name: str) -> dict:
        return cls._doc_of(name, cls._read_file(fd, name)[0])

    def scan_docs(self) -> Iterator[tuple[Path, dict] | Skipped]:
        """Every capture file's JSON object with its path, oldest first; a Skipped per file that is not one.

        Checked here: the name is an id, the file regular, small enough, JSON, an object with that id.
        The model's rules are checked by whoever turns the document into what it needs (``scan`` builds
        ``Capture`` objects; the report's encoder rejects exactly what ``Capture.from_dict`` rejects).
        """
        with self._captures_fd() as fd:
            try:
                names = self._names(fd)
            except OSError as exc:
                raise self._error(False, exc.strerror or str(exc)) from None
            for name in names:
                try:
                    yield self.captures_dir / name, self._read_doc(fd, name)
                except CaptureFormatError as exc:
                    yield Skipped(self.captures_dir / name, str(exc))

    def scan_checked(self, flt: Filter | None = None) -> Iterator[tuple[dict, Capture] | Skipped]:
        """Every capture passing the filter as (document, model), oldest first; a Skipped per unreadable file."""
        flt = flt or Filter()
        for item in self.scan_docs():
            if isinstance(item, Skipped):
                yield item
                continue
            path, doc = item
            try:
                capture = _capture_type().from_dict(doc)
            except CaptureFormatError as exc:
                yield Skipped(path, str(exc))
                continue
            if flt.accepts(capture):
                yield doc, capture

    def scan(self, flt: Filter | None = None) -> Iterator[Capture | Skipped]:
        """Every capture passing the filter, oldest first, and a Skipped for every unreadable file."""
        for item in self.scan_checked(flt):
            yield item if isinstance(item, Skipped) else item[1]

    def rows(self, flt: Filter | None = None) -> Iterator[dict | Skipped]:
        """Every capture's short row (``index.row_of``) passing the filter, oldest first, and a Skipped for every
        file the other readers skip, with the same reason. Rows come from the index (``index.py``: with a current
        stamp, no file is even listed); only files new or changed since it was written are read (through
        ``_read_doc`` and ``Capture.from_dict``, as ``scan`` reads them)."""
        flt = flt or Filter()
        for _, name, _, value, _, _ in self._indexed(flt):
            yield Skipped(self.captures_dir / name, value) if isinstance(value, str) else value

    def scan_valid_docs(self, flt: Filter | None = None) -> Iterator[tuple[Path, dict] | Skipped]:
        """What ``scan_checked`` yields, as (path, document): the filter is decided from the index (files outside
        it are not read) and a document whose file is unchanged since the index checked it is not checked again."""
        for item in self.scan_bytes(flt):
            if isinstance(item, Skipped):
                yield item
                continue
            path, data, _, doc = item
            if doc is None:
                try:
                    doc = self._doc_of(path.name, data)
                except CaptureFormatError as exc:  # changed while keeping its key (within one mtime tick)
                    yield Skipped(path, str(exc))
                    continue
            yield path, doc

    def scan_bytes(self, flt: Filter | None = None, known: Callable[..., bool] | None = None,
                   trusted: Callable[[Path, os.stat_result], bool] | None = None,
                   ) -> Iterator[tuple[Path, bytes, dict, dict | None] | Skipped]:
        """(path, the file's bytes, its index row, its document or None) of every capture passing the filter,
        oldest first, and what ``scan_checked`` skips. For callers that cache by content (``store/cache.py``).

        The document is None when the bytes need no parsing: ``known(path, data, st)`` (``st``: the file's fstat
        before the read) said the caller already knows them for a checked capture (its cache has them), or,
        without ``known``, the index checked this file as it is (same inode, size, mtime, ctime). Before reading,
        ``trusted(path, lstat)`` may say that the caller knows the file as it is now without its bytes: then the
        bytes are ``b""``. Any other file is parsed here, and checked unless the index checked it as it is (as
        ``scan_valid_docs`` does), as every reader checks it."""
        flt = flt or Filter()
        for fd, name, key, value, doc, data in self._indexed(flt):
            path = self.captures_dir / name
            if isinstance(value, str):
                yield Skipped(path, value)
                continue
            if doc is None:  # the index knows it: read it, and check it again unless it is known as it is now
                if trusted is not None:
                    try:
                        lst = os.stat(name, dir_fd=fd, follow_symlinks=False)
                    except OSError:
                        lst = None
                    if lst is not None and stat.S_ISREG(lst.st_mode) and trusted(path, lst):
                        yield path, b"", value, None
                        continue
                try:
                    data, st = self._read_file(fd, name)
                except CaptureFormatError as exc:
                    yield Skipped(path, str(exc))
                    continue
                same = index.key_of(st) == key
                if known(path, data, st) if known is not None else same:
                    yield path, data, value, None
                    continue
                if same:  # checked by the index: parsed only
                    try:
                        yield path, data, value, self._doc_of(name, data)
                    except CaptureFormatError as exc:  # changed while keeping its key (within one mtime tick)
                        yield Skipped(path, str(exc))
                    continue
                value, doc = self._checked_data(name, data)
                if isinstance(value, str):
                    yield Skipped(path, value)
                    continue
                if not flt.accepts_values(value["taken_at"], value["host"], value["pid"]):
                    continue
            yield path, data, value, doc

    def _indexed(self, flt: Filter) -> Iterator[tuple[int, str, list[int] | None, dict | str, dict | None, bytes]]:
        """(captures fd, file name, key, row or skip reason, document and bytes if it was read here) of every file
        that passes the filter or is skipped, oldest first.

        With a stamp matching the directory, the index alone answers. Otherwise every name is lstat-ed and the
        index is rewritten at the end (atomically) if a file had to be read or a line is dead, or stamped if
        every line matched a settled directory."""
        with self._captures_fd() as fd:
            if fd is None:
                return
            now = time.time_ns()
            try:
                here = os.fstat(fd)
                known, lines, stamp = index.parse(read_regular(index.NAME, dir_fd=fd, limit=_MAX_INDEX_BYTES)[0])
            except CaptureFormatError:
                known, lines, stamp = {}, 0, None
            except OSError as exc:
                raise self._error(False, exc.strerror or str(exc)) from None
            if stamp is not None and stamp == index.dir_state(here):
                everything = flt == Filter()
                for name in sorted(known):
                    key, value, _ = known[name]
                    if everything or _accepts(flt, value):
                        yield fd, name, key, value, None, b""
                return
            try:
                names = self._names(fd)
            except OSError as exc:
                raise self._error(False, exc.strerror or str(exc)) from None
            text, fresh, matched = [], 0, 0
            for name in names:
                try:
                    key = index.key_of(os.stat(name, dir_fd=fd, follow_symlinks=False))
                except OSError:
                    key = None
                hit = known.get(name)
                doc, data = None, b""
                if key is not None and hit is not None and hit[0] == key:
                    value = hit[1]
                    text.append(hit[2] + b"\n")
                    matched += 1
                else:  # stat first, read after: a file changed meanwhile has another key next time, and is read again
                    value, doc, data = self._checked(fd, name)
                    fresh += 1
                    if key is not None:
                        text.append(index.line(name, key, *((None, value) if isinstance(value, str) else (value, None))))
                if _accepts(flt, value):
                    yield fd, name, key, value, doc, data
            if fresh or matched < len(known) or lines > len(names) * 5 // 4 + 64:
                self._rewrite_index(fd, b"".join(text))
            elif index.settled(here, now):  # every name matched its line, and no line is dead
                index.append(fd, index.stamp_line(index.dir_state(here)))

    @classmethod
    def _checked(cls, fd: int, name: str) -> tuple[dict | str, dict | None, bytes]:
        """(index row, document, bytes) of one capture file, or (why every reader skips it, None, b"")."""
        try:
            data = cls._read_file(fd, name)[0]
        except CaptureFormatError as exc:
            return str(exc), None, b""
        return (*cls._checked_data(name, data), data)

    @classmethod
    def _checked_data(cls, name: str, data: bytes) -> tuple[dict | str, dict | None]:
        try:
            doc = cls._doc_of(name, data)
            return index.row_of(_capture_type().from_dict(doc)), doc
        except CaptureFormatError as exc:
            return str(exc), None

    @staticmethod
    def _rewrite_index(fd: int, data: bytes) -> None:
        """Best effort: a reader who may not write the store still gets its rows, only not faster next time."""
        with contextlib.suppress(OSError):
            tmp_fd = _open_dir(TMP_DIR, fd, create=True)
            try:
                index.replace(fd, tmp_fd, _new_temp(tmp_fd), data)
            finally:
                os.close(tmp_fd)

    def read(self, ident: str) -> tuple[dict, Capture]:
        """The capture with exactly this id, as document and model; CaptureFormatError or StoreError if not."""
        check_id(ident)
        with self._captures_fd() as fd:
            if fd is None:
                raise self._missing(ident)
            try:
                doc = self._read_doc(fd, f"{ident}.json")
            except CaptureFormatError as exc:
                if not self._exists(fd, f"{ident}.json"):
                    raise self._missing(ident) from None
                raise CaptureFormatError(f"capture {ident}: {exc}", help=self._skip_help) from None
        return doc, _capture_type().from_dict(doc)

    _skip_help = "the file is kept as it is; `hangdump ls` lists what every command skips"

    def find(self, ident: str) -> Capture | None:
        """The capture with exactly this id, or None for anything else (an id, never a path: ``serve``)."""
        try:
            return self.read(ident)[1]
        except (CaptureFormatError, StoreError):
            return None

    def get(self, ident: str) -> Capture:
        """A capture by id, or by a unique prefix or suffix of its id."""
        if is_capture_id(ident):
            with contextlib.suppress(StoreError):
                return self.read(ident)[1]
        matches = [p.stem for p in self.paths() if is_capture_id(p.stem) and (p.stem.startswith(ident)
                                                                               or p.stem.endswith(ident))]
        if not matches:
            raise self._missing(ident)
        if len(matches) > 1:
            raise StoreError(f"{ident!r} matches {len(matches)} captures; give more of the id")
        return self.read(matches[0])[1]

    def _missing(self, ident: str) -> StoreError:
        return StoreError(f"no capture {ident!r} in {self.root}", help="`hangdump ls` lists the stored captures")

    @staticmethod
    def _exists(fd: int, name: str) -> bool:
        try:
            os.stat(name, dir_fd=fd, follow_symlinks=False)
        except FileNotFoundError:
            return False
        except OSError:
            return True
        return True

    # -- writing --------------------------------------------------------------------------------------

    def put(self, capture: Capture, doc: dict | None = None) -> Stored:
        """Store a capture without ever replacing another one, and with no moment where half of it is readable.

        The document is written to a locked temp file in ``captures/.tmp``, fsynced, then hard-linked to its
        final name (which fails if the name is taken: no capture is ever overwritten) and the temp name
        removed. An identical capture already stored makes this a no-op; a different one holding the id
        makes this capture take a new one. Temp files of writers that died (unlocked) are removed first.
        ``doc``: the capture's ``to_dict()``, if the caller has it (see ``Capture.to_json``).
        """
        check_id(capture.id)
        try:
            with self._captures_fd(create=True) as fd:
                tmp_fd = _open_dir(TMP_DIR, fd, create=True)
                try:
                    remove_stale_temps(tmp_fd)
                    stored = self._place(fd, tmp_fd, capture, doc)
                    if stored.status != "unchanged":
                        index.append_row(fd, f"{stored.id}.json", {**index.row_of(capture), "id": stored.id})
                    return stored
                finally:
                    os.close(tmp_fd)
        except OSError as exc:
            raise self._error(True, exc.strerror or str(exc)) from None

    def _place(self, fd: int, tmp_fd: int, capture: Capture, doc: dict | None) -> Stored:
        first = capture.to_json(doc=doc).encode("utf-8")
        ident, data = capture.id, first
        tails = _tails(first)
        for _ in range(_MAX_ATTEMPTS):
            name = f"{ident}.json"
            status = "stored" if ident == capture.id else "renamed"
            existing = self._existing(fd, name)
            if existing == data:
                return Stored(ident, child_text(self._captures, name), "unchanged")
            if existing is None and _link_new(fd, tmp_fd, name, data):
                return Stored(ident, child_text(self._captures, name), status)
            if existing is not None:  # taken by another capture, or by something that is not one: next id
                ident = with_tail(capture.id, next(tails))
                data = capture.with_changes(id=ident).to_json().encode("utf-8")
            # else another writer created the name meanwhile: look at it again
        raise StoreError(f"could not find a free id for capture {capture.id} in {self.root}")

    @staticmethod
    def _existing(fd: int, name: str) -> bytes | Exception | None:
        """The bytes of the file ``name``, None if there is none, or why it cannot be compared."""
        try:
            return read_regular(name, dir_fd=fd)[0]
        except CaptureFormatError as exc:
            return exc if LocalStore._exists(fd, name) else None

    # -- kept cores -------------------------------------------------------------------------------------

    def core_workdir(self, capture_id: str) -> str:
        """A private directory on the store's filesystem for a raw core being written (removed by the caller).

        It stays locked (flock on the directory) while this process lives, so one a killed hangdump left behind,
        raw core and all, is unlocked: the next call removes it before making another.
        """
        check_id(capture_id)
        try:
            self.cores_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            import tempfile  # here, not at the top: it pulls in shutil, bz2 and lzma, ~10% of a capture's imports

            remove_stale_workdirs(self.cores_dir)
            for path, fd in list(self._workdir_locks.items()):  # the ones our callers removed: drop their locks
                if not os.path.isdir(path):
                    os.close(self._workdir_locks.pop(path))
            while True:
                path = tempfile.mkdtemp(prefix=f".tmp-{capture_id}-", dir=self.cores_dir)
                fd = os.open(path, _DIR_FLAGS)
                fcntl.flock(fd, fcntl.LOCK_EX)
                if _same_file(path, fd):  # not removed by a cleaner before we held it
                    self._workdir_locks[path] = fd
                    return path
                os.close(fd)
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
        """Compress a raw core into the store (or move one already compressed), then prune older cores to the budget
        and retention."""
        from forensics.capture import core as corefile

        check_id(capture_id)
        budget = corefile.core_budget()
        from pathlib import Path

        final = Path(corefile.compress(raw, str(self.cores_dir / f"{capture_id}.core")))
        self.prune_cores(budget, float(os.environ.get("HANGDUMP_CORE_DAYS", "14")) * 86400, keep=final)
        return final

    def prune_cores(self, budget: int, max_age_s: float, keep: Path | None = None, now: float | None = None) -> list[Path]:
        """Delete cores older than max_age_s, then the oldest until the total fits the budget. Never ``keep``."""
        import time

        from forensics.capture import core as corefile

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
        # raw cores being written, or left by a capture killed mid-dump, take disk too (capture/core.py)
        total = sum(size for _, size, _ in entries) + corefile.workdirs_bytes(str(self.cores_dir))
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


def keep_aside(capture: Capture, dirs: tuple[str, ...] | None = None) -> Path | None:
    """Save a capture the store could not take where it can still be found: the first writable of
    ``$TMPDIR``, ``/var/tmp``, ``/tmp`` as ``hangdump-<id>.json``, mode 0600. None if none would take it.

    The target was paused for this evidence; losing it to a full or read-only store is the one thing not to do.
    """
    check_id(capture.id)
    data = capture.to_json().encode("utf-8")
    candidates = dirs if dirs is not None else tuple(d for d in (os.environ.get("TMPDIR"), "/var/tmp", "/tmp") if d)
    for folder in candidates:
        name = f"hangdump-{capture.id}.json"
        try:
            dfd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=dfd)
            try:
                write_all(fd, data)
                os.fsync(fd)
            except OSError:
                os.unlink(name, dir_fd=dfd)
                raise
            finally:
                os.close(fd)
            from pathlib import Path

            return Path(folder) / name
        except OSError:
            continue
        finally:
            os.close(dfd)
    return None


def _same_file(path: str, fd: int) -> bool:
    try:
        return os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
    except OSError:
        return False


def remove_stale_workdirs(cores_dir: Path) -> list[str]:
    """Remove the core work directories no live hangdump holds (its lock died with it), with what is in them."""
    import shutil

    removed = []
    for name in os.listdir(cores_dir):
        path = os.path.join(cores_dir, name)
        if not name.startswith(".tmp-"):
            continue
        try:
            fd = os.open(path, _DIR_FLAGS)  # a directory, not through a symlink (a core.py temp file fails here)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if _same_file(path, fd):
                shutil.rmtree(path, ignore_errors=True)  # does not follow symlinks inside it
                removed.append(name)
        except BlockingIOError:
            continue  # a live capture's
        finally:
            os.close(fd)
    return removed


def _tails(data: bytes) -> Iterator[str]:
    """The id tails to try when a capture's id is taken: first one from its content (the same capture imported
    again finds itself under it: a no-op), then random ones. Hashed only on a collision, which few puts meet."""
    import hashlib

    yield hashlib.sha1(data).hexdigest()[:10]
    for _ in range(_MAX_ATTEMPTS):
        yield os.urandom(5).hex()


def _link_new(fd: int, tmp_fd: int, name: str, data: bytes) -> bool:
    """Write ``data`` to a new locked temp file and link it as ``name``; False if ``name`` appeared meanwhile."""
    tmp, tfd = _new_temp(tmp_fd)
    try:
        write_all(tfd, data)
        os.fsync(tfd)
        try:
            os.link(tmp, name, src_dir_fd=tmp_fd, dst_dir_fd=fd, follow_symlinks=False)
        except FileExistsError:
            return False
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK):
                raise
            # a filesystem without hard links: rename (the name was free a moment ago)
            os.rename(tmp, name, src_dir_fd=tmp_fd, dst_dir_fd=fd)
        os.fsync(fd)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp, dir_fd=tmp_fd)
        os.close(tfd)  # releases the lock, after the temp name is gone


def _new_temp(tmp_fd: int) -> tuple[str, int]:
    """A new temp file, exclusively created and locked while we write it (a cleaner may remove it between
    the two steps: then it is unlinked, and we make another)."""
    while True:
        name = f"{os.getpid()}-{os.urandom(6).hex()}.json"
        tfd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600, dir_fd=tmp_fd)
        fcntl.flock(tfd, fcntl.LOCK_EX)
        if os.fstat(tfd).st_nlink:
            return name, tfd
        os.close(tfd)


def remove_stale_temps(tmp_fd: int) -> list[str]:
    """Remove temp files no writer holds any more (their writer died: its lock went with it). Never waits.

    Anything else found there (a symlink, a FIFO, a device) is not ours: its name is removed, it is never opened.
    """
    removed = []
    for name in os.listdir(tmp_fd):
        with contextlib.suppress(OSError):
            st = os.stat(name, dir_fd=tmp_fd, follow_symlinks=False)
            held = _lock_if_unlocked(tmp_fd, name, st) if stat.S_ISREG(st.st_mode) else None
            if stat.S_ISREG(st.st_mode) and held is None:
                continue
            try:  # with its lock held: a writer that created it and waits in _new_temp's flock then sees it gone
                os.unlink(name, dir_fd=tmp_fd)
                removed.append(name)
            finally:
                if held is not None:
                    os.close(held)
    return removed


def _lock_if_unlocked(tmp_fd: int, name: str, st: os.stat_result) -> int | None:
    """A descriptor holding the lock of this temp file (still the same file as ``st``), None if a process holds it."""
    fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=tmp_fd)
    locked = False
    try:
        if os.fstat(fd).st_ino == st.st_ino:
            with contextlib.suppress(BlockingIOError):
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                locked = True
    finally:
        if not locked:
            os.close(fd)
    return fd if locked else None

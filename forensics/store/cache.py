"""Each capture's analysis, cached by content beside the store: `report` and `clusters` classify a capture once in
its life, not once per run, and do not even parse a capture they have seen before.

``ROOT/cache/analysis-<namespace>.jsonl``: one line ``<key> <entry>`` per capture content (and for `report`,
``page-<namespace>.jsonl``: ``<key> <meta>\t<piece>``, the capture's part of the page, report/pieces.py, kept apart
so that `clusters` never reads them), where

* ``key`` = sha256(namespace, then the capture file's bytes), 128 bits of it: a changed capture is another key;
* ``namespace`` = sha256 of the cache format, hangdump's version, the files that decide the result (``SOURCES``:
  every file of the analysis package, subpackages and data files included; the model that checks a capture; this
  module) and the benign rule set (library defaults, the store's ``benign.txt`` and ``--benign``). Changing any of
  them changes every key, so a stale entry cannot even be looked up, not even in an editable install whose rules
  change without a version bump; the files of all but the newest few namespaces are removed.

An entry is written only for bytes the store's reader checked (the file name is the id, the model accepts them;
checked now, or by its index when the file has not changed since), so a hit means: a valid capture, already
analysed; nothing is parsed or checked again. An analysis line also holds the token of the file its bytes were
read from (``<id>/<inode>.<size>.<mtime>.<ctime>``, ``token``; ``-`` while the file is too new to vouch for it, git's
racily-clean rule): a file whose lstat still gives that token is not even read or hashed (`report`, `clusters`).
A piece's text is joined into pages unparsed, so its line carries its checksum (``pieces.checksum``). One file per
kind, not one per capture:
creating a file costs about 1 ms on a journalled disk, 100 s for a store of 100k captures. Lines are appended in
batches, each in one ``O_APPEND`` write (concurrent runs never interleave); a torn line is a miss. A run over every
capture rewrites the file atomically (temp file, rename) when most of it is dead. Entries are read defensively
(JSON, never pickle: anyone who can write the store could otherwise run code as the reader; every field checked):
a damaged or foreign entry is a miss and is written again. The cache never fails a command: a store that cannot be
written is analysed every time.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import itertools
import json
import os
import time
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import NoneType, UnionType
from typing import TYPE_CHECKING, Any

from forensics.errors import CaptureFormatError
from forensics.store import index
from forensics.store.fileio import parse_json, read_regular, write_all
from forensics.store.local import TMP_DIR, Filter, Skipped, _new_temp, remove_stale_temps

if TYPE_CHECKING:
    from forensics.analysis import BenignRules, Digest, Verdict
    from forensics.report.pieces import Piece

FORMAT = "hangdump.analysis-cache/2"
ANALYSES, PAGES = "analysis-", "page-"  # the two kinds of file: analyses (report, clusters), pieces (report)
_KEEP = 2  # namespaces kept (two --benign sets in turn); older ones are removed (each is ~2.4 KB per capture)
_MAX_FILE = 4 << 30
_KEY_LEN = 32
_BATCH = 1 << 20
_SETTLED_NS = 2_000_000_000
_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_APPEND = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


@dataclass(frozen=True, slots=True)
class Analysed:
    """What `report` and `clusters` need of one capture besides its document."""

    digest: Digest  # what the clustering keeps (analysis.digest)
    idle: tuple[int, ...]  # threads idle by design (left out of flame graphs)
    verdicts: tuple[tuple[str, str], ...]  # the first three verdicts, (kind, text), no source file read
    site: str | None  # the first verdict's call site (``call_site``)
    worker: tuple[str, str, str]  # process.worker's framework, role and task ("" when not known)


def call_site(verdict: Verdict) -> str | None:
    """Where the culprit threads of a verdict are in the application: ``settle() at billing.py:41`` (↔ for a cycle)."""
    roles = verdict.roles if verdict.kind == "deadlock" else verdict.roles[:1]
    sites: list[str] = []
    for r in roles:
        site = f"{r.function}() at {r.location}" if r.function else r.location
        if site and site not in sites:
            sites.append(site)
    return " \u2194 ".join(sites) or None


def analyse(doc: dict, rules: BenignRules | None) -> Analysed:
    """One checked capture document, classified once: its digest, idle threads, verdicts and worker role."""
    from forensics.analysis import analyze_threads, digest
    from forensics.analysis.verdict import verdicts_from

    threads = analyze_threads(doc, rules)
    found = verdicts_from(doc, threads, read_source=False)
    p = doc.get("process")
    worker = (p.get("worker") if isinstance(p, dict) else None) or {}
    return Analysed(
        digest=digest(doc, threads),
        idle=tuple(t.index for t in threads if t.benign),
        verdicts=tuple((v.kind, v.text) for v in found[:3]),
        site=call_site(found[0]) if found else None,
        worker=tuple(str(worker.get(k) or "") for k in ("framework", "role", "task")),  # type: ignore[arg-type]
    )


# -- a JSON form of frozen dataclasses, checked on the way back ------------------------------------------------
# A dataclass is stored as the list of its fields' values, in field order (the namespace covers the order). Decoding
# checks the types of all of a record's fields in one set lookup (the tuple of their types among the allowed ones)
# and converts only its lists: tens of thousands of records per run.

Decode = Callable[[Any], Any]
_MAX_SHAPES = 4096


def _bad(what: str) -> CaptureFormatError:
    return CaptureFormatError(f"cache entry: {what}")


def _scalar(t: Any) -> frozenset[type] | None:
    """The JSON types a value of type ``t`` may have if it is a scalar (or an optional one); None for the others."""
    if t in (str, bool, int):
        return frozenset((t,))
    if t is float:
        return frozenset((int, float))
    args = typing.get_args(t)
    if typing.get_origin(t) in (UnionType, typing.Union) and len(args) == 2 and NoneType in args:
        inner = _scalar(next(a for a in args if a is not NoneType))
        return inner | {NoneType} if inner is not None else None
    return None


def _field(t: Any, seen: dict) -> tuple[frozenset[type], Decode | None]:
    """The JSON types a field of type ``t`` may have, and how to convert its value (None: as it is)."""
    scalar = _scalar(t)
    if scalar is not None:
        return scalar, None
    args = typing.get_args(t)
    if typing.get_origin(t) in (UnionType, typing.Union) and len(args) == 2 and NoneType in args:
        types, conv = _field(next(a for a in args if a is not NoneType), seen)
        return types | {NoneType}, (lambda v: None if v is None else conv(v)) if conv else None
    return frozenset((list,)), _decoder(t, seen)


def _decoder(t: Any, seen: dict) -> Decode:
    """A function turning the JSON form (a list) of a tuple or dataclass type ``t`` back into it; raises for
    anything else. TypeError for a type this cache does not know: the cache is then off."""
    origin, args = typing.get_origin(t), typing.get_args(t)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        types, conv = _field(args[0], seen)

        def many(v: Any) -> tuple:
            if type(v) is not list or not set(map(type, v)) <= types:
                raise _bad(f"expected a list of {t}")
            return tuple(v) if conv is None else tuple([conv(x) for x in v])
        return many
    if origin is tuple and args:
        return _shaped(t, list(args), tuple, seen)
    if dataclasses.is_dataclass(t) and isinstance(t, type):
        if t not in seen:
            import forensics.analysis

            forensics.analysis.Digest  # noqa: B018 - the clustering names are bound on first use (analysis.__getattr__)
            hints = typing.get_type_hints(t, localns=vars(forensics.analysis))  # Analysed names them lazily
            seen[t] = None  # a recursive type: refused below
            seen[t] = _shaped(t, [hints[f.name] for f in dataclasses.fields(t)], t, seen)
        if seen[t] is None:
            raise TypeError(f"recursive type {t!r}")
        return seen[t]
    raise TypeError(f"no JSON form for {t!r}")


def _shaped(t: Any, types: list, build: Callable, seen: dict) -> Decode:
    fields = [_field(x, seen) for x in types]
    shapes = frozenset(itertools.product(*(f[0] for f in fields)))
    if len(shapes) > _MAX_SHAPES:
        raise TypeError(f"too many optional fields in {t!r}")
    convs = [(i, f[1]) for i, f in enumerate(fields) if f[1] is not None]

    def shaped(v: Any) -> Any:
        if type(v) is not list or tuple(map(type, v)) not in shapes:
            raise _bad(f"not a {t}")
        for i, conv in convs:
            v[i] = conv(v[i])
        return build(*v) if build is not tuple else tuple(v)
    return shaped


_SCALARS = (str, int, float, bool, NoneType)
_FIELDS: dict[type, tuple[str, ...]] = {}


def _encode(value: Any) -> Any:
    t = type(value)
    if t in _SCALARS:
        return value
    if t is tuple:
        return [_encode(v) for v in value]
    names = _FIELDS.get(t)
    if names is None:
        names = _FIELDS[t] = tuple(f.name for f in dataclasses.fields(value))  # raises for anything else
    return [_encode(getattr(value, n)) for n in names]


# -- the cache -------------------------------------------------------------------------------------------------

# What decides an entry besides the capture, as paths in the forensics package: a directory is every file under it
# (rules may live in data files or subpackages). Hashed from the files themselves, so an editable install whose rules
# change between runs without a version bump never reuses an entry of the old rules.
SOURCES = ("analysis", "model.py", "store/cache.py", "report/payload.py", "report/pieces.py", "report/flame.py",
           "fleet/role.py")


def source_files(base: str, sources: tuple[str, ...] = SOURCES) -> list[str]:
    """The files under ``base`` (the package directory) that ``sources`` names, as sorted relative paths."""
    out = []
    for rel in sources:
        top = os.path.join(base, rel)
        if not os.path.isdir(top):
            out.append(rel)
            continue
        for folder, dirs, names in os.walk(top):
            dirs[:] = [d for d in dirs if d != "__pycache__" and not d.startswith(".")]
            out += [os.path.relpath(os.path.join(folder, n), base) for n in names
                    if not n.endswith((".pyc", ".pyo")) and not n.startswith(".")]
    return sorted(out)


def namespace(rules: BenignRules | None, base: str | None = None) -> str | None:
    """What every key of this cache depends on besides the capture (None: a source could not be read, no cache).
    ``base``: the package directory (the installed one by default)."""
    import forensics
    from forensics.analysis import NO_RULES

    base = base or os.path.dirname(forensics.__file__)
    h = hashlib.sha256()
    h.update(f"{FORMAT}\0{forensics.__version__}\0".encode())
    try:
        for rel in source_files(base):
            with open(os.path.join(base, rel), "rb") as fh:  # ~300 KB: well under a millisecond
                data = fh.read()
            h.update(b"%s\0%d\0%s" % (rel.encode(), len(data), data))
    except (OSError, TypeError):
        return None
    r = rules or NO_RULES
    h.update(json.dumps([list(map(list, r.library)), list(r.user)]).encode())
    return h.hexdigest()[:32]


class Cache:
    """Analyses by capture content, in one append-only file per namespace (``open``); any failure is a miss."""

    def __init__(self, root_fd: int | None, ns: str, decode: Decode | None, kind: str = ANALYSES) -> None:
        self._fd, self._decode, self._kind = root_fd, decode, kind
        self._name = f"{kind}{ns}.jsonl"
        self._prefix = hashlib.sha256(ns.encode())
        self._data = b""
        self._at: dict[bytes, tuple[int, int]] = {}  # key -> where its line (after the key) is in _data
        self._files: dict[bytes, bytes] = {}  # an analysis's file token (``token``) -> its key
        self._lines = 0
        self._pending: list[bytes] = []
        self._size = 0
        self.used: set[bytes] = set()  # keys looked up with success or added

    @classmethod
    @contextlib.contextmanager
    def open(cls, root: Path | None, rules: BenignRules | None, kind: str = ANALYSES) -> Iterator[Cache]:
        """The cache under ``root`` (``ROOT/cache``) for these rules; one that keeps nothing if it cannot be used.
        New entries are appended as they come (in batches) and when it closes. ``kind``: ``ANALYSES`` (``get``,
        ``put``) or ``PAGES`` (``piece``, ``put_piece``)."""
        ns = namespace(rules) if root is not None else None
        try:
            decode = _decoder(Analysed, {}) if root is not None and kind == ANALYSES else None
        except (TypeError, NameError):
            decode = None
        usable = ns is not None and (decode is not None or kind != ANALYSES)
        fd = _open_root(root) if root is not None and usable else None
        cache = cls(fd, ns or "", decode, kind)
        try:
            if fd is not None:
                cache._load()
                with contextlib.suppress(OSError):
                    os.utime(cache._name, dir_fd=fd, follow_symlinks=False)  # in use: the newest namespace
                _prune(fd, kind)
            yield cache
        finally:
            if fd is not None:
                cache._flush()
                os.close(fd)

    @property
    def active(self) -> bool:
        return self._fd is not None

    def _load(self) -> None:
        try:
            self._data = read_regular(self._name, dir_fd=self._fd, limit=_MAX_FILE)[0]
        except CaptureFormatError:  # none yet (or not a regular file: then writing it fails too)
            return
        data, at = self._data, self._at
        pos, end = 0, len(data)
        while pos < end:
            nl = data.find(b"\n", pos)
            if nl < 0:
                nl = end  # a torn last line: its entry fails to parse, and is written again
            if nl - pos > _KEY_LEN and data[pos + _KEY_LEN] == 32:  # "<key> <entry>"
                key = data[pos:pos + _KEY_LEN]
                at[key] = (pos + _KEY_LEN + 1, nl)
                if self._kind == ANALYSES:  # "<key> <file token> <entry>"
                    sp = data.find(b" ", pos + _KEY_LEN + 1, nl)
                    if sp > 0 and data[sp - 1] != 45:  # "-": none
                        self._files[data[pos + _KEY_LEN + 1:sp]] = key
            self._lines += 1
            pos = nl + 1

    def by_file(self, ident: str, st: os.stat_result) -> bytes | None:
        """The key of the bytes the capture file ``ident`` held when it was last read, if it has not changed since:
        the same inode, size, mtime and ctime (``token``)."""
        return self._files.get(token(ident, st))

    def key(self, data: bytes) -> bytes:
        h = self._prefix.copy()
        h.update(data)
        return h.hexdigest()[:_KEY_LEN].encode()  # sha256: with the CPU's SHA instructions, 2.5x blake2b's speed

    def get(self, key: bytes, ident: str) -> tuple[list, Analysed] | None:
        """(filter values, analysis) of the capture ``ident`` whose bytes have this key, or None."""
        where = self._at.get(key)
        if where is None or self._decode is None:
            return None
        sp = self._data.find(b" ", where[0], where[1])  # after the file token
        try:
            e = json.loads(self._data[sp + 1:where[1]])
            if type(e) is not list or len(e) != 3 or e[0] != ident or type(e[1]) is not list or len(e[1]) != 3:
                return None
            taken, host, pid = e[1]
            if type(taken) not in (int, float) or type(host) is not str or (pid is not None and type(pid) is not int):
                return None
            found = e[1], self._decode(e[2])
        except (CaptureFormatError, TypeError, ValueError, RecursionError):
            return None
        self.used.add(key)
        return found

    def put(self, key: bytes, ident: str, where: list, analysed: Analysed, file: bytes = b"-") -> None:
        """Keep an analysis (``file``: the token of the file its bytes were read from, ``token``): one line, appended
        with the others of this batch in one write."""
        self._append(key, file + b" " + json.dumps([ident, where, _encode(analysed)], separators=(",", ":")).encode())

    def file_of(self, key: bytes) -> bytes | None:
        """The file token an analysis was kept with (``-``: none), None for none."""
        where = self._at.get(key)
        return None if where is None else self._data[where[0]:self._data.find(b" ", where[0], where[1])]

    def piece(self, key: bytes, ident: str) -> Piece | None:
        """The report's piece of the capture ``ident`` whose bytes have this key, or None."""
        where = self._at.get(key)
        if where is None:
            return None
        start, end = where
        tab = self._data.find(b"\t", start, end)  # "<meta>\t<text>": the text is joined into pages unparsed
        try:
            found = _piece(json.loads(self._data[start:tab]), ident, self._data[tab + 1:end]) if tab >= 0 else None
        except (ValueError, RecursionError):
            return None
        if found is not None:
            self.used.add(key)
        return found

    def put_piece(self, key: bytes, ident: str, piece: Piece) -> None:
        self._append(key, json.dumps([ident, *piece.meta()], separators=(",", ":")).encode() + b"\t" + piece.text)

    def _append(self, key: bytes, entry: bytes) -> None:
        """One line, appended with the others of this batch in one write (JSON and the piece's text are ASCII and
        hold no line break: json's escapes, lone surrogates too)."""
        if self._fd is None:
            return
        line = b"%s %s\n" % (key, entry)
        self._pending.append(line)
        self._size += len(line)
        self.used.add(key)
        if self._size >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        """Append the pending lines in one ``O_APPEND`` write (never interleaved with another writer's)."""
        if not self._pending:
            return
        data, self._pending, self._size = b"".join(self._pending), [], 0
        with contextlib.suppress(OSError):
            fd = os.open(self._name, _APPEND, 0o600, dir_fd=self._fd)
            try:
                write_all(fd, data)
            finally:
                os.close(fd)

    def compact(self) -> None:
        """Drop the entries not used by this run (call after a run over every capture): rewritten whole, atomically,
        when they are most of the file (captures removed, rewritten, or analysed before a change of namespace)."""
        if self._fd is None or self._lines < 1024 or self._lines < 2 * len(self.used):
            return
        self._flush()
        kept = [b"%s %s\n" % (k, self._data[a:b]) for k, (a, b) in self._at.items() if k in self.used]
        with contextlib.suppress(OSError, CaptureFormatError):
            kept += [ln + b"\n" for ln in read_regular(self._name, dir_fd=self._fd, limit=_MAX_FILE)[0]
                     [len(self._data):].split(b"\n") if ln[:_KEY_LEN] in self.used]  # appended by this run
            tmp_fd = os.open(TMP_DIR, _DIR, dir_fd=self._fd)
            try:
                index.replace(self._fd, tmp_fd, _new_temp(tmp_fd), b"".join(kept), self._name)
            finally:
                os.close(tmp_fd)


def token(ident: str, st: os.stat_result) -> bytes:
    """What a capture file is known by while it is not rewritten: ``<id>/<inode>.<size>.<mtime>.<ctime>`` (ctime
    cannot be set back by a user; hangdump never rewrites a capture, it renames a new file into place)."""
    return b"%s/%d.%d.%d.%d" % (ident.encode(), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


def _settled_token(ident: str, st: os.stat_result | None) -> bytes:
    """The token of a file just read (``st``: its fstat before the read), or ``-`` while it may still change
    unseen: a change within the same timestamp tick as the read would keep its token (git's racily-clean rule)."""
    if st is None or time.time_ns() - max(st.st_mtime_ns, st.st_ctime_ns) < _SETTLED_NS:
        return b"-"
    return token(ident, st)


def _piece(meta: Any, ident: str, text: bytes) -> Piece | None:
    """The piece of an entry if its form is right and its text the one written (``pieces.checksum``), else None."""
    from forensics.report.pieces import Piece, checksum

    if type(meta) is not list or len(meta) != 5 or meta[0] != ident:
        return None
    _, start, facts, readable, sha = meta
    if start is not None and type(start) not in (int, float) or type(facts) is not list or len(facts) != 4 \
            or type(readable) is not list or len(readable) != 2 or type(sha) is not str:
        return None
    ppid, kind, told, children = facts
    if ppid is not None and type(ppid) is not int or kind is not None and type(kind) is not str \
            or told is not None and type(told) is not str or type(children) is not bool \
            or {type(x) for x in readable} != {bool} or checksum(text) != sha:
        return None
    return Piece(text, start, (ppid, kind, told, children), (readable[0], readable[1]))


def _open_root(root: Path) -> int | None:
    """A descriptor of ``ROOT/cache`` (made if needed; never through a symbolic link) with its ``.tmp``; dead temp
    files removed. None if the store cannot hold a cache."""
    try:
        os.makedirs(root, mode=0o700, exist_ok=True)
        fd = os.open(root, _DIR)
    except OSError:
        return None
    try:
        with contextlib.suppress(FileExistsError):
            os.mkdir(TMP_DIR, 0o700, dir_fd=fd)
        tmp_fd = os.open(TMP_DIR, _DIR, dir_fd=fd)
        try:
            remove_stale_temps(tmp_fd)
        finally:
            os.close(tmp_fd)
    except OSError:
        pass  # reading still works; compaction will not
    return fd


def _prune(base: int, kind: str) -> None:
    """Remove all but the newest namespaces' files of this kind."""
    spaces = []
    for name in os.listdir(base):
        with contextlib.suppress(OSError):
            st = os.stat(name, dir_fd=base, follow_symlinks=False)
            if name.startswith(kind) and name.endswith(".jsonl"):
                spaces.append((st.st_mtime_ns, name))
    for _, name in sorted(spaces, reverse=True)[_KEEP:]:
        with contextlib.suppress(OSError):
            os.unlink(name, dir_fd=base)


Page = tuple[float, str, "int | None", "Piece"]  # a capture's filter values (taken_at, host, pid) and its piece


def analysed(store: Any, flt: Filter | None, rules: BenignRules | None, pieces: bool = False,
             need_bytes: bool = False,
             ) -> Iterator[tuple[Path, bytes, dict | None, Analysed, Page | None] | Skipped]:
    """(path, bytes, document if it was parsed, analysis, and with ``pieces`` the report's piece) of every capture
    passing the filter, oldest first, and what the store's reader skips. A capture seen before (same bytes, same
    namespace) comes from the cache unparsed, and unread (its bytes ``b""``, unless ``need_bytes``) when its file
    has not changed since it was read (``token``); any other is checked by the store's reader, analysed once (encoded
    once for the report), and cached. A capture the report's encoder rejects is skipped with its message.

    ``store``: a store with ``scan_bytes`` and ``cache_dir`` (None: no cache, every capture is analysed)."""
    from forensics.report.pieces import piece

    flt = flt or Filter()
    with Cache.open(store.cache_dir, rules) as cache, \
            Cache.open(store.cache_dir if pieces else None, rules, PAGES) as pages:
        last: dict[str, tuple[bytes, Any, bytes]] = {}  # the one lookup just made: (key, hit, file token)
        checked: dict[tuple, tuple] = {}  # frames checked by the pieces made so far

        def hit_of(key: bytes, ident: str) -> Any:
            hit = cache.get(key, ident)
            return hit and (*hit, pages.piece(key, ident) if pieces else None)

        def whole(hit: Any) -> bool:
            return hit is not None and (not pieces or hit[2] is not None)

        def trusted(path: Path, st: os.stat_result) -> bool:
            last.clear()
            key = cache.by_file(path.stem, st)
            hit = hit_of(key, path.stem) if key is not None else None
            if whole(hit):
                last[path.stem] = key, hit, cache.file_of(key)  # type: ignore[assignment]
            return whole(hit)

        def known(path: Path, data: bytes, st: os.stat_result | None = None) -> bool:
            last.clear()
            key = cache.key(data)
            last[path.stem] = found = key, hit_of(key, path.stem), _settled_token(path.stem, st)
            return whole(found[1])

        reading = known if cache.active else None
        for item in store.scan_bytes(flt, reading, trusted if reading and not need_bytes else None):
            if isinstance(item, Skipped):
                yield item
                continue
            path, data, row, doc = item
            key, hit, file = last.pop(path.stem, None) or (cache.key(data), None, b"-")
            if hit is None and cache.active and doc is not None:  # new to the store's index, perhaps not to the cache
                hit = hit_of(key, path.stem)
            if whole(hit):
                if file != b"-" and file != cache.file_of(key):  # read again (restored, copied): known by file now
                    cache.put(key, path.stem, hit[0], hit[1], file)
                if flt.accepts_values(*hit[0]):
                    yield path, data, doc, hit[1], (*hit[0], hit[2]) if pieces else None
                continue
            if doc is None:  # no cache, or a piece to make, and the store's index checked these bytes: only parsed
                try:
                    doc = parse_json(data)
                except CaptureFormatError as exc:
                    yield Skipped(path, str(exc))
                    continue
            where = hit[0] if hit is not None else [row["taken_at"], row["host"], row["pid"]]
            found = hit[1] if hit is not None else analyse(doc, rules)
            if hit is None:
                cache.put(key, path.stem, where, found, file)
            part = None
            if pieces:
                try:
                    part = piece(doc, found.idle, found.verdicts, found.site, checked)
                except CaptureFormatError as exc:
                    yield Skipped(path, str(exc))
                    continue
                pages.put_piece(key, path.stem, part)
            if hit is None or flt.accepts_values(*where):
                yield path, data, doc, found, (*where, part) if part is not None else None
        if flt == Filter():  # every capture was looked up: what was not is dead
            cache.compact()
            pages.compact()

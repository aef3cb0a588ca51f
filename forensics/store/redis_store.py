"""The fleet store: captures of many hosts in one Redis, behind the local store's interface.

Keys (``P`` is the URL's prefix, ``hangdump`` by default), and why each is bounded:

- ``P:cap:<id>``: a hash ``{doc: zlib(JSON), sha: sha1(JSON), row: ls row}``, expiring at ``taken_at +
  retention`` (EXPIREAT): Redis itself drops a capture past the retention, even if no hangdump runs again.
  Compressed, a capture is a few KB (a hung worker's JSON compresses ~8x).
- ``P:idx`` (every capture) and ``P:host:<host>`` (one host's): sorted sets of ids scored by ``taken_at``:
  time ranges and ``--host`` are range reads, and the oldest capture is the first member.
- ``P:meta``: a hash id -> "compressed size<TAB>host", what eviction needs to undo a capture's entries;
  ``P:bytes``: the sum of the sizes; ``P:hosts``: a sorted set host -> last capture time;
  ``P:stats``: how many captures expired and how many were evicted (what ``ls`` reports).

Every put runs one Lua script (one round trip, atomic): first it drops index entries past the retention
(by the server's clock: no host's clock skew decides), then stores the capture only if its id is free
(``unchanged`` if the same document is there: a replayed spool never duplicates), then evicts the oldest
captures while the compressed bytes exceed the budget (never the one just stored). Index entries thus
never outlive their capture by more than one put or one read, and memory is bounded by the byte budget
plus the per-capture index and row (scripts/bench/redis_fleet.py measures both).

The script starts with ``#!lua`` (Redis 7 or later): a script that declares no flags may write and is denied
whole when Redis is over its maxmemory, instead of failing halfway through its writes.

A put Redis does not take (connection refused, timed out, or a refusal such as out of memory, a read-only
replica, a bad password) spools the capture locally (``forensics/spool.py``) and
says so (status ``spooled``); the next put, read or watchdog tick pushes the spool. Readers that cannot
reach Redis fail with a StoreError naming the URL without its password.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from forensics.errors import CaptureFormatError, StoreError
from forensics.model import Capture
from forensics.spool import Drained, PushFailed, Spool
from forensics.store import index
from forensics.store.fileio import parse_json
from forensics.store.ids import check_id, is_capture_id, with_tail
from forensics.store.local import Filter, LocalStore, Skipped, Stored, default_root
from forensics.store.redisurl import RedisTarget, parse, unreachable

BATCH = 500  # documents per pipelined read: bounded client memory, few round trips
_MAX_ATTEMPTS = 16
_ROW_KEYS = frozenset(index.row_of(Capture(id="", host="", pid=None, taken_at=0.0, method="")))

_PUT = """#!lua
local p, id, doc, sha, row = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local taken, host, retention, budget = tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local function drop(victim, why)
  local meta = redis.call('HGET', p .. ':meta', victim)
  redis.call('DEL', p .. ':cap:' .. victim)
  redis.call('ZREM', p .. ':idx', victim)
  redis.call('HDEL', p .. ':meta', victim)
  if meta then
    local size, h = string.match(meta, '^(%d+)\\t(.*)$')
    redis.call('ZREM', p .. ':host:' .. h, victim)
    redis.call('DECRBY', p .. ':bytes', size)
  end
  redis.call('HINCRBY', p .. ':stats', why, 1)
end
local expired = redis.call('ZRANGEBYSCORE', p .. ':idx', '-inf', '(' .. (now - retention), 'LIMIT', 0, 512)
for _, v in ipairs(expired) do drop(v, 'expired') end
redis.call('ZREMRANGEBYSCORE', p .. ':hosts', '-inf', '(' .. (now - retention))
if id == '' then return {'trimmed', #expired, 0} end
if taken < now - retention then return {'expired', #expired, 0} end
local key = p .. ':cap:' .. id
local existing = redis.call('HGET', key, 'sha')
if existing then
  if existing == sha then return {'unchanged', #expired, 0} end
  return {'conflict', #expired, 0}
end
redis.call('HSET', key, 'doc', doc, 'sha', sha, 'row', row)
redis.call('EXPIREAT', key, math.floor(taken + retention) + 1)
redis.call('ZADD', p .. ':idx', taken, id)
redis.call('ZADD', p .. ':host:' .. host, taken, id)
redis.call('ZADD', p .. ':hosts', 'GT', taken, host)
redis.call('HSET', p .. ':meta', id, #doc .. '\\t' .. host)
local total = redis.call('INCRBY', p .. ':bytes', #doc)
local evicted = 0
while total > budget do
  local oldest = redis.call('ZRANGE', p .. ':idx', 0, 0)[1]
  if oldest == nil or oldest == id then break end
  drop(oldest, 'evicted')
  evicted = evicted + 1
  total = tonumber(redis.call('GET', p .. ':bytes') or '0')
end
return {'stored', #expired, evicted}
"""


class Expired(StoreError):
    """A capture older than the store's retention: Redis does not take it (it is kept in the local store)."""


@dataclass(frozen=True)
class KeyPath:
    """Where a capture is in Redis, shaped like the local store's paths where the commands use them (``stem``
    names the capture; ``str`` is what a message shows, never with a password)."""

    stem: str
    shown: str

    @property
    def name(self) -> str:
        return self.stem

    def __str__(self) -> str:
        return self.shown


def encode(capture: Capture, doc: dict | None = None) -> tuple[bytes, str, str]:
    """(compressed document, sha1 of the JSON, ls row as JSON) of one capture; ``doc``: its ``to_dict()``, if made."""
    data = capture.to_json(doc=doc).encode("utf-8")
    row = json.dumps(index.row_of(capture), ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(data, 6), hashlib.sha1(data).hexdigest(), row


def inflate(blob: bytes) -> bytes:
    """The JSON bytes of one stored document (what a local store's file holds); CaptureFormatError if none."""
    try:
        return zlib.decompress(blob)
    except zlib.error as exc:
        raise CaptureFormatError(f"not a compressed capture ({exc})") from None


def document(data: bytes, ident: str) -> dict:
    """The JSON object in ``data``, which must name ``ident``; CaptureFormatError if it is not one."""
    doc = parse_json(data)
    if not isinstance(doc, dict):
        raise CaptureFormatError(f"not a capture (a JSON {type(doc).__name__})")
    if doc.get("id") != ident:
        raise CaptureFormatError(f"its id {str(doc.get('id'))[:80]!r} is not the key's")
    return doc


def ls_row(raw: bytes, ident: str) -> dict:
    """The ls row stored beside a capture; CaptureFormatError if it is damaged."""
    row = parse_json(raw)
    if type(row) is not dict or row.keys() != _ROW_KEYS or row.get("id") != ident:
        raise CaptureFormatError("its ls row is damaged")
    return row


class RedisStore:
    """Captures in Redis, shared by a fleet. ``root`` is the local directory for what stays on this host:
    the spool, kept cores, the watchdog's journal, benign.txt."""

    def __init__(self, url: str | RedisTarget, root: Path | str | None = None, timeout_s: float = 2.0) -> None:
        self.target = url if isinstance(url, RedisTarget) else parse(url)
        self.root = Path(root) if root is not None else default_root()
        self.local = LocalStore(self.root)
        tag = hashlib.sha1(self.target.place.encode()).hexdigest()[:12]
        self.spool = Spool(self.root / "spool" / tag)
        self.cache_dir = self.root / "cache" / f"redis-{tag}"  # store/cache.py: analyses by content, on this host
        self._client = self.target.client(timeout_s)
        self._put_script = self._client.register_script(_PUT)

    def __repr__(self) -> str:
        return f"RedisStore({self.target.shown})"

    @property
    def shown(self) -> str:
        return self.target.shown

    def _key(self, *parts: str) -> str:
        return self.target.key(*parts)

    def _where(self, ident: str) -> KeyPath:
        return KeyPath(ident, f"{self.target.shown} {ident}")

    def _fail(self, exc: BaseException) -> StoreError:
        return StoreError(f"cannot read the store: {unreachable(self.target, exc)}",
                          help="check that Redis runs and the URL (host, port, password, TLS) is right")

    # -- writing ----------------------------------------------------------------------------------------

    def put(self, capture: Capture, doc: dict | None = None) -> Stored:
        """Store a capture (``stored``, ``unchanged``, ``renamed`` as the local store does), or spool it locally
        when Redis cannot be reached (``spooled``: it is pushed later, never lost, never duplicated). ``doc``: the
        capture's ``to_dict()``, if the caller has it."""
        check_id(capture.id)
        try:
            stored = self._push(capture, doc)
        except PushFailed as exc:
            kept = self.spool.put(capture)
            return Stored(kept.id, KeyPath(kept.id, f"{kept.path} (spooled: {exc}; pushed once Redis takes it)"),
                          "spooled")
        self.drain()
        return stored

    def _run(self, ident: str, doc: bytes = b"", sha: str = "", row: str = "", taken: float = 0.0,
             host: str = "") -> list:
        import redis

        t = self.target
        try:
            status, *counts = self._put_script(args=[t.prefix, ident, doc, sha, row, repr(taken), host,
                                                     repr(t.retention_s), t.budget])
        except (redis.ConnectionError, redis.TimeoutError, redis.BusyLoadingError) as exc:
            raise PushFailed(unreachable(t, exc)) from None
        except redis.RedisError as exc:  # a refusal (out of memory, a read-only replica, auth): spooled as well
            raise PushFailed(f"Redis at {t.shown} refused the write: {str(exc)[:200]}") from None
        return [status.decode(), *counts]

    def _push(self, capture: Capture, doc: dict | None = None) -> Stored:
        """One capture into Redis, idempotently: an id already holding the same document is left as it is."""
        first = capture
        tails = iter([None] + [hashlib.sha1(f"{capture.id}{i}".encode()).hexdigest()[:10] for i in range(_MAX_ATTEMPTS)])
        for _ in range(_MAX_ATTEMPTS):
            tail = next(tails)
            if tail is not None:
                capture = first.with_changes(id=with_tail(first.id, tail))
            blob, sha, row = encode(capture, doc if capture is first else None)
            status, *_ = self._run(capture.id, blob, sha, row, capture.taken_at, capture.host)
            if status == "conflict":
                continue  # a different capture holds this id: the next deterministic one (replays pick the same)
            if status == "expired":
                kept = self.local.put(capture)
                days = self.target.retention_s / 86400
                raise Expired(f"capture {capture.id} is older than the Redis store's {days:g}-day retention; "
                                 f"kept in the local store instead ({kept.path})")
            status = "renamed" if capture.id != first.id and status == "stored" else status
            return Stored(capture.id, self._where(capture.id), status)
        raise StoreError(f"could not find a free id for capture {first.id} in {self.target.shown}")

    def drain(self) -> Drained:
        """Push what the spool holds (nothing to do costs one directory lookup)."""
        if not self.spool.pending():
            return Drained()

        def push(capture: Capture) -> None:
            try:
                self._push(capture)
            except Expired:  # past the retention: _push kept it in the local store
                pass
            except StoreError as exc:  # not placed: it stays in the spool
                raise PushFailed(str(exc)) from None

        return self.spool.drain(push)

    def trim(self) -> None:
        """Drop index entries past the retention (what a put does first); best effort, for readers."""
        with contextlib.suppress(PushFailed):
            self._run("")

    # -- reading ---------------------------------------------------------------------------------------

    def _ids(self, flt: Filter | None = None) -> list[str]:
        """Ids passing the filter's host and time range (from the sorted sets), oldest first."""
        import redis

        flt = flt or Filter()
        key = self._key("host", flt.host) if flt.host is not None else self._key("idx")
        low = "-inf" if flt.since is None else repr(flt.since)
        high = "+inf" if flt.until is None else repr(flt.until)
        try:
            return [m.decode() for m in self._client.zrangebyscore(key, low, high)]
        except redis.RedisError as exc:
            raise self._fail(exc) from None

    def _fields(self, ids: list[str], *names: str) -> Iterator[tuple[str, list[bytes | None]]]:
        """(id, the values of those fields, None where the capture is gone) for every id, in pipelined batches."""
        import redis

        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            pipe = self._client.pipeline(transaction=False)
            for ident in chunk:
                pipe.hmget(self._key("cap", ident), names)
            try:
                values = pipe.execute()
            except redis.RedisError as exc:
                raise self._fail(exc) from None
            yield from zip(chunk, values)

    def _prepare(self) -> None:
        self.drain()
        self.trim()

    def paths(self) -> list[KeyPath]:
        return [self._where(i) for i in self._ids()]

    def fingerprint(self) -> tuple:
        import redis

        try:
            return tuple(self._client.pipeline(transaction=False).zcard(self._key("idx")).get(self._key("bytes"))
                         .execute())
        except redis.RedisError as exc:
            raise self._fail(exc) from None

    def _docs(self, ids: list[str], model: bool = False) -> Iterator[tuple[KeyPath, dict, Capture | None] | Skipped]:
        """(where, document, its Capture if ``model``) of every id still stored; a Skipped per value that is not one.
        The same checks as the local store's reader: a JSON object, with the key's id, and (``model``) the model's."""
        for ident, (blob,) in self._fields(ids, "doc"):
            if blob is None:
                continue  # expired or evicted since the index was read
            where = self._where(ident)
            try:
                doc = document(inflate(blob), ident)
                item = (where, doc, Capture.from_dict(doc) if model else None)
            except CaptureFormatError as exc:
                item = Skipped(where, str(exc))  # type: ignore[arg-type]
            yield item

    def scan_docs(self) -> Iterator[tuple[KeyPath, dict] | Skipped]:
        """Every capture's JSON object, oldest first; a Skipped per stored value that is not one."""
        self._prepare()
        for item in self._docs(self._ids()):
            yield item if isinstance(item, Skipped) else item[:2]

    def scan_checked(self, flt: Filter | None = None) -> Iterator[tuple[dict, Capture] | Skipped]:
        """Every capture passing the filter as (document, model), oldest first; the host and time range are
        decided by the indexes, so only those documents are fetched."""
        flt = flt or Filter()
        self._prepare()
        for item in self._docs(self._ids(flt), model=True):
            if isinstance(item, Skipped):
                yield item
            elif flt.accepts(item[2]):
                yield item[1], item[2]

    def scan_bytes(self, flt: Filter | None = None, known=None, trusted=None,
                   ) -> Iterator[tuple[KeyPath, bytes, dict, dict | None] | Skipped]:
        """(where, the capture's JSON bytes, its ls row, its document or None) of every capture passing the filter,
        oldest first, as the local store's ``scan_bytes`` (for ``store/cache.py``): the document is None when
        ``known(where, data)`` says the caller already knows these bytes for a checked capture; any other is
        parsed and checked here, as every reader checks it. ``trusted`` is never asked: a key has no file to stat."""
        flt = flt or Filter()
        self._prepare()
        for ident, (blob, raw_row) in self._fields(self._ids(flt), "doc", "row"):
            if blob is None or raw_row is None:
                continue  # expired or evicted since the index was read
            where = self._where(ident)
            try:
                data, row = inflate(blob), ls_row(raw_row, ident)
                if not flt.accepts_values(row["taken_at"], row["host"], row["pid"]):
                    continue
                if known is not None and known(where, data):
                    item = (where, data, row, None)
                else:
                    doc = document(data, ident)
                    Capture.from_dict(doc)
                    item = (where, data, row, doc)
            except CaptureFormatError as exc:
                item = Skipped(where, str(exc))  # type: ignore[assignment]
            yield item

    def scan(self, flt: Filter | None = None) -> Iterator[Capture | Skipped]:
        for item in self.scan_checked(flt):
            yield item if isinstance(item, Skipped) else item[1]

    def scan_valid_docs(self, flt: Filter | None = None) -> Iterator[tuple[KeyPath, dict] | Skipped]:
        for item in self.scan_checked(flt):
            yield item if isinstance(item, Skipped) else (self._where(item[1].id), item[0])

    def rows(self, flt: Filter | None = None) -> Iterator[dict | Skipped]:
        """Every capture's ls row passing the filter, oldest first, from the rows stored beside the documents."""
        flt = flt or Filter()
        self._prepare()
        for ident, (raw,) in self._fields(self._ids(flt), "row"):
            if raw is None:
                continue
            try:
                row = ls_row(raw, ident)
            except CaptureFormatError as exc:
                yield Skipped(self._where(ident), str(exc))  # type: ignore[arg-type]
                continue
            if flt.accepts_values(row["taken_at"], row["host"], row["pid"]):
                yield row

    def read(self, ident: str) -> tuple[dict, Capture]:
        check_id(ident)
        self.drain()
        item = next(iter(self._docs([ident], model=True)), None)
        if item is None:
            raise self._missing(ident)
        if isinstance(item, Skipped):
            raise CaptureFormatError(f"capture {ident}: {item.reason}")
        return item[1], item[2]

    def find(self, ident: str) -> Capture | None:
        """The capture with exactly this id, or None (gone, unreadable, Redis unreachable)."""
        with contextlib.suppress(CaptureFormatError, StoreError):
            return self.read(ident)[1]
        return None

    def get(self, ident: str) -> Capture:
        """A capture by id, or by a unique prefix or suffix of its id (the fleet's index is one ZRANGE)."""
        exact = self.find(ident) if is_capture_id(ident) else None
        if exact is not None:
            return exact
        matches = [i for i in self._ids() if i.startswith(ident) or i.endswith(ident)]
        if len(matches) > 1:
            raise StoreError(f"{ident!r} matches {len(matches)} captures; give more of the id")
        return self.read(matches[0])[1] if matches else self._raise_missing(ident)

    def _raise_missing(self, ident: str) -> Capture:
        raise self._missing(ident)

    def _missing(self, ident: str) -> StoreError:
        return StoreError(f"no capture {ident!r} in {self.target.shown}",
                          help="`hangdump ls` lists the stored captures; captures expire after the store's retention")

    def hosts(self) -> list[tuple[str, float]]:
        """(host, time of its last capture) of every host with captures in the retention, most recent first."""
        import redis

        try:
            return [(h.decode(), s) for h, s in self._client.zrevrange(self._key("hosts"), 0, -1, withscores=True)]
        except redis.RedisError as exc:
            raise self._fail(exc) from None

    def notes(self) -> list[str]:
        """What the store dropped, for ``ls``: captures that expired (retention) and that were evicted (budget)."""
        import redis

        try:
            stats = self._client.hgetall(self._key("stats"))
        except redis.RedisError:
            return []
        expired, evicted = (int(stats.get(k, 0)) for k in (b"expired", b"evicted"))
        out = []
        if expired:
            out.append(f"{expired} capture(s) expired from {self.target.shown}: older than its "
                       f"{_days(self.target.retention_s)} retention")
        if evicted:
            out.append(f"{evicted} capture(s) evicted from {self.target.shown}: over its "
                       f"{self.target.budget >> 20} MiB byte budget (oldest first)")
        pending = self.spool.pending()
        if pending:
            out.append(f"{pending} capture(s) spooled at {self.spool.root}, not yet pushed (Redis was unreachable)")
        return out

    # -- kept cores stay on this host: gigabytes do not belong in Redis; the capture records the path --------

    def core_workdir(self, capture_id: str) -> str:
        return self.local.core_workdir(capture_id)

    def put_core(self, capture_id: str, raw: str, rss: int | None = None) -> Path:
        return self.local.put_core(capture_id, raw, rss)

    def core_of(self, capture_id: str) -> Path | None:
        return self.local.core_of(capture_id)

    def memory(self) -> dict[str, int]:
        """Redis's own accounting (INFO memory) and the store's: for the note on bounded memory."""
        info = self._client.info("memory")
        count, total = self._client.zcard(self._key("idx")), int(self._client.get(self._key("bytes")) or 0)
        return {"used_memory": int(info["used_memory"]), "captures": int(count), "compressed_bytes": total}


def _days(seconds: float) -> str:
    return f"{seconds / 86400:g}d" if seconds >= 86400 else f"{seconds:g}s"

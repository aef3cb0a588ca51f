"""Heartbeats in Redis, for fleets: each host's watchdog reads its own workers' beats (the hash
``<prefix>:hb:<host>`` that forensics.heartbeat.RedisBackend writes), and every watchdog beats itself into
``<prefix>:dogs`` so that ``hangdump watch --fleet`` can name the hosts whose watchdog went silent.

The reader behaves as the file reader does (``heartbeats.py``): what cannot be read is "unknown", never
"stale". Redis unreachable or slow (every call has a timeout, so a scan waits at most that long) makes every
beat unknown: no heartbeat rule acts, nothing is killed. After an outage, the beats Redis holds are from
before it, and healthy writers may still be in their backoff (at most ``RedisBackend.BACKOFF_MAX_S``): until its
writer writes again (its ``seq`` moves), such a beat is aged as if written when the backoff can have ended
(twice the backoff plus two writer periods after the recovery), never by its old stamp, so an outage cannot
make a healthy worker look stale, while a worker that hung meanwhile is still caught (its staleness counts from
then), and the /proc rules (blocked, busy) go on judging it meanwhile. A watchdog that starts cannot have seen
an outage: it takes the moment the Redis server started (INFO uptime) as the last recovery, which covers a
Redis restarted just before; a network outage that ended seconds before the watchdog started is the case left.

Watchdog beats are stamped by the Redis server's clock (a Lua script reads TIME), so hosts with skewed
clocks are judged alike; ``<prefix>:dogs`` holds one member per host (trimmed after a week), and each
host's payload ``<prefix>:dog:<host>`` expires after a week too.
"""
from __future__ import annotations

import contextlib
import json
import os
import time
from dataclasses import dataclass

from forensics.heartbeat import RedisBackend, host_name, is_redis_url
from forensics.identity import ProcessIdentity, same_process
from forensics.store.redisurl import RedisTarget, parse, unreachable
from forensics.watch.heartbeats import Beat, Beats, Reader, parse_beat

READ_TIMEOUT_S = 0.5
PRUNE_EVERY_S = 30.0
DOG_KEEP_S = 7 * 86400
SILENT_PERIODS = 3  # a watchdog is silent after this many of its (interval + writer period) without a beat

_DOG_BEAT = """#!lua
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
return tostring(now)
"""


def beat_reader_for(source: str):
    """The reader of a heartbeat source: a directory (``Reader``) or a redis:// URL (``RedisBeatReader``)."""
    return RedisBeatReader(source) if is_redis_url(source) else Reader()


class RedisBeatReader:
    """Reads ``<prefix>:hb:<this host>`` once per scan, with the ``Reader.read`` signature (the directory
    argument is ignored: the URL names the source)."""

    def __init__(self, url: str | RedisTarget, host: str | None = None, timeout_s: float = READ_TIMEOUT_S,
                 clock=time.monotonic, prune_every_s: float | None = PRUNE_EVERY_S) -> None:
        self.target = url if isinstance(url, RedisTarget) else parse(url)
        self.host = host or host_name()
        self.key = self.target.key("hb", self.host)
        self.clock = clock
        self._client = self.target.client(timeout_s)
        self._recovered_at: float | None = None
        self._seq_then: dict[int, int] = {}
        self._down = False
        self._first = True
        self._pruned_at: float | None = None
        self._parsed: dict[bytes, tuple[bytes, Beat]] = {}  # field -> (its bytes, the beat parsed from them)
        self.prune_every_s = prune_every_s  # None: never remove fields (a reader that is not the host's watchdog)

    def read(self, directory: str | None = None, now_mono: float | None = None, required: bool = True) -> Beats:
        import redis

        now = self.clock() if now_mono is None else now_mono
        try:
            if self._first:
                up_s = float(self._client.info("server")["uptime_in_seconds"])
            fields = self._client.hgetall(self.key)
        except (redis.RedisError, OSError, KeyError, ValueError) as exc:
            self._down = True
            return Beats(readable=False, reason=unreachable(self.target, exc))
        now_wall = time.time()
        beats, unknown, before, parsed = {}, set(), self._parsed, {}
        for raw_pid, raw in fields.items():
            known = before.get(raw_pid)
            if known is not None and known[0] == raw:  # an idle or slow writer's beat: not decoded again
                beat = known[1]
            else:
                try:
                    beat = parse_beat(raw, _no_mtime, now, now_wall)
                    if beat.pid != int(raw_pid):
                        raise ValueError("the beat names another pid")
                except (OSError, ValueError, KeyError, TypeError):
                    unknown.add(_int_or(raw_pid))
                    continue
            beats[beat.pid] = beat
            parsed[raw_pid] = (raw, beat)
        self._parsed = parsed
        if self._down or self._first:
            self._recovered_at = now if self._down else now - up_s
            self._down = self._first = False
            self._seq_then = {pid: b.seq for pid, b in beats.items()}
        if self._recovered_at is not None:
            beats = self._settled(beats)
        self._prune(beats, unknown, now)
        return Beats(readable=True, by_pid=beats, unknown_pids=frozenset(p for p in unknown if p is not None))

    def _settled(self, beats: dict[int, Beat]) -> dict[int, Beat]:
        """Beats still the ones Redis held when it came back, aged from when their writer's backoff can have ended."""
        out, waiting = {}, False
        for pid, b in beats.items():
            if self._seq_then.get(pid) == b.seq:
                waiting = True
                held = self._recovered_at + 2 * RedisBackend.BACKOFF_MAX_S + 2 * max(b.resolution, 0.1)
                b = b._replace(mono=max(b.mono, held))
            out[pid] = b
        if not waiting:
            self._recovered_at, self._seq_then = None, {}
        return out

    def _prune(self, beats: dict[int, Beat], unknown: set, now: float) -> None:
        """Every ``prune_every_s``, remove the fields of processes that are gone (their pid is free or reused), and
        the unreadable fields of pids with no process at all."""
        if self.prune_every_s is None or (self._pruned_at is not None and now - self._pruned_at < self.prune_every_s):
            return
        self._pruned_at = now
        gone = [str(pid) for pid, b in beats.items() if not same_process(ProcessIdentity(pid, b.start_ticks))]
        gone += [str(pid) for pid in unknown if pid is not None and not os.path.exists(f"/proc/{pid}")]
        if gone:
            import redis

            with contextlib.suppress(redis.RedisError, OSError):  # next time
                self._client.hdel(self.key, *gone)


def _no_mtime() -> float:
    raise OSError("a beat without a usable monotonic stamp cannot be aged")


def _int_or(text) -> int | None:
    try:
        return int(text)
    except (TypeError, ValueError):
        return None


class DogBackend(RedisBackend):
    """The watchdog's own heartbeat: a forensics.heartbeat backend whose write stamps ``<prefix>:dogs`` by the
    server's clock and keeps the payload (pid, interval, period) in ``<prefix>:dog:<host>``. Written by the
    emitter's writer thread, never by the scan: a slow Redis cannot stall a scan, and a watchdog whose scan
    loop stops stops beating. ``drain``: also push the local spool of a Redis store (captures taken while
    Redis was down arrive even if no new capture is taken)."""

    def __init__(self, url: str, interval_s: float, host: str | None = None, drain=None) -> None:
        super().__init__(url, host)
        self.interval_s = interval_s
        self.drain = drain
        self._script = None

    def _commands(self, pipe, payload: dict) -> None:
        if self._script is None:
            self._script = self._redis().register_script(_DOG_BEAT)
        doc = {"host": self.host, "pid": payload["pid"], "interval_s": self.interval_s,
               "resolution": payload["resolution"], "state": payload["state"], "seq": payload["seq"]}
        self._script(keys=[f"{self.prefix}:dogs", f"{self.prefix}:dog:{self.host}"],
                     args=[self.host, json.dumps(doc), DOG_KEEP_S], client=pipe)

    def write(self, payload: dict) -> None:
        super().write(payload)
        if self.drain is not None:
            with contextlib.suppress(Exception):  # the spool stays for the next tick; the capture is never lost
                self.drain()

    def remove(self, pid: int) -> None:
        """A watchdog that stops cleanly says so: it is ``stopped``, not silent."""
        with contextlib.suppress(OSError):
            self.write({"pid": pid, "resolution": 0.0, "state": "stopped", "seq": -1})


@dataclass(frozen=True)
class DogStatus:
    host: str
    age_s: float
    state: str  # "ok", "silent", "stopped"
    pid: int | None = None
    interval_s: float | None = None

    def line(self) -> str:
        what = {"ok": "ok", "silent": "SILENT", "stopped": "stopped"}[self.state]
        return f"{self.host}  {what}  last beat {self.age_s:.1f}s ago (pid {self.pid}, interval {self.interval_s}s)"


def fleet_status(target: RedisTarget, timeout_s: float = 2.0) -> list[DogStatus]:
    """Every host whose watchdog beat within the last week, and whether it is silent now (by the server's
    clock). Raises redis errors for the caller to report."""
    client = target.client(timeout_s)
    now_s, now_us = client.time()
    now = now_s + now_us / 1e6
    members = client.zrange(target.key("dogs"), 0, -1, withscores=True)
    docs = client.mget([target.key("dog", m.decode()) for m, _ in members]) if members else []
    out = []
    for (member, at), raw in zip(members, docs):
        try:
            doc = json.loads(raw) if raw else {}
        except ValueError:
            doc = {}
        interval = float(doc.get("interval_s") or 0.0)
        period = interval + float(doc.get("resolution") or 0.0)
        age = max(0.0, now - at)
        state = "stopped" if doc.get("state") == "stopped" else \
            "silent" if age > SILENT_PERIODS * max(period, 1.0) else "ok"
        out.append(DogStatus(member.decode(), round(age, 1), state, doc.get("pid"), interval or None))
    return sorted(out, key=lambda d: d.host)


def watchdog_heartbeat(beat_source: str, store_spec: str | None, interval_s: float, store=None):
    """The watchdog's own emitter (a forensics.heartbeat.Heartbeat on a DogBackend) when its heartbeats or its
    store are in Redis, else None. It also drains ``store``'s spool when it has one."""
    from forensics.heartbeat import Heartbeat

    url = beat_source if is_redis_url(beat_source) else store_spec if is_redis_url(store_spec) else None
    if url is None:
        return None
    return Heartbeat(DogBackend(url, interval_s, drain=getattr(store, "drain", None)), resolution=min(1.0, interval_s))


class FleetWatch:
    """``hangdump watch --fleet``: the watchdogs of every host, and an alert when one goes silent or comes back.
    An unreachable Redis is one alert ("unknown"), never a silent fleet."""

    def __init__(self, url: str, events) -> None:
        self.target = parse(url)
        self.events = events
        self.known: dict[str, str] = {}
        self.unknown = False

    def check(self) -> list[DogStatus] | None:
        import redis

        try:
            found = fleet_status(self.target)
        except (redis.RedisError, OSError) as exc:
            if not self.unknown:
                self.events.emit("alert", reason="fleet_unknown",
                                 why=f"{unreachable(self.target, exc)}: the fleet's watchdogs are unknown")
            self.unknown = True
            return None
        self.unknown = False
        for d in found:
            before = self.known.get(d.host)
            if d.state == "silent" and before != "silent":
                self.events.emit("alert", reason="watchdog_silent", host=d.host, age_s=d.age_s,
                                 why=f"the watchdog of host {d.host} is silent: last beat {d.age_s:.1f}s ago")
            elif d.state == "ok" and before == "silent":
                self.events.emit("alert", reason="watchdog_back", host=d.host,
                                 why=f"the watchdog of host {d.host} beats again")
            self.known[d.host] = d.state
        return found

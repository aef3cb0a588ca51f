"""A Redis URL as hangdump takes it: ``redis://[user:password@]host:port/db`` or ``rediss://`` (TLS), plus
hangdump's own settings in the query: ``retention`` (an age: ``14d``, ``12h``), ``budget`` (compressed capture
bytes: ``256M``) and ``prefix`` (the key namespace). Every other query item (``ssl_ca_certs``,
``ssl_cert_reqs``, ...) goes to redis-py as it is.

The URL can hold a password, so it is never shown: ``shown`` is what every message prints (scheme, host,
port, db; the userinfo replaced by ``***``). Every client made here has connect and read timeouts and one
immediate retry on a connection error only (a pooled connection the server closed when it restarted fails
once, then a fresh one is made); timeouts are never retried: a slow Redis costs a caller at most ``timeout_s``
per call, and the caller decides what to do (spool, "unknown"), never redis-py's retry loop.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from forensics.errors import UsageError

SCHEMES = ("redis", "rediss")
DEFAULT_RETENTION_S = 14 * 86400.0
DEFAULT_BUDGET = 256 << 20
DEFAULT_TIMEOUT_S = 2.0
_AGE = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_AGE_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^(\d+)([kmg]?)$", re.IGNORECASE)
_SIZE_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
_OURS = ("retention", "budget", "prefix")


def is_redis_url(text: object) -> bool:
    return isinstance(text, str) and text.split("://", 1)[0].lower() in SCHEMES and "://" in text


@dataclass(frozen=True)
class RedisTarget:
    """Where a Redis is and how hangdump uses it. ``url`` holds the password: pass it to redis-py, never print it."""

    url: str = ""
    shown: str = ""
    retention_s: float = DEFAULT_RETENTION_S
    budget: int = DEFAULT_BUDGET
    prefix: str = "hangdump"

    def __repr__(self) -> str:  # a dataclass repr would print the URL, password and all
        return f"RedisTarget({self.shown})"

    @property
    def place(self) -> str:
        """Which Redis database and namespace, whatever the credentials or TLS options: host:port/db prefix."""
        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port or 6379}/{parts.path.strip('/') or '0'} {self.prefix}"

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def client(self, timeout_s: float = DEFAULT_TIMEOUT_S):
        """A redis-py client with timeouts on connect and on every reply; see the module docstring on retries."""
        try:
            import redis
            from redis.backoff import NoBackoff
            from redis.retry import Retry
        except ImportError:
            raise UsageError(f"{self.shown} needs redis-py, which is not installed",
                             help="pip install 'hangdump[redis]' (or pip install redis)") from None
        try:
            return redis.Redis.from_url(self.url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                                        retry=Retry(NoBackoff(), 1), retry_on_timeout=False)
        except ValueError as exc:  # a bad query value; redis-py's message names the key, not the password
            raise UsageError(f"bad Redis URL {self.shown}: {exc}") from None


def shown_url(url: str) -> str:
    """The URL without its userinfo (``***`` in its place) and without its query values."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = ("***@" if "@" in parts.netloc else "") + host + (f":{port}" if port else "")
    query = "&".join(f"{k}=..." if k not in _OURS else f"{k}={v}" for k, v in parse_qsl(parts.query))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def parse(url: str) -> RedisTarget:
    """A RedisTarget; UsageError (showing the URL without its password) when it is not a usable Redis URL."""
    shown = shown_url(url)
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES or not parts.hostname:
        raise UsageError(f"not a Redis URL: {shown}", help="use redis://[:password@]host:port/db or rediss://...")
    try:
        _ = parts.port
    except ValueError:
        raise UsageError(f"bad port in the Redis URL {shown}") from None
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise UsageError(f"bad database number {db!r} in the Redis URL {shown}", help="e.g. redis://host:6379/0")
    ours: dict[str, str | None] = {"retention": None, "budget": None, "prefix": None}
    rest = []
    for k, v in parse_qsl(parts.query, keep_blank_values=True):
        if k in ours:
            ours[k] = v
        else:
            rest.append((k, v))
    target = RedisTarget(
        url=urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(rest), "")),
        shown=shown,
        retention_s=_age(ours["retention"], shown) if ours["retention"] else DEFAULT_RETENTION_S,
        budget=_size(ours["budget"], shown) if ours["budget"] else DEFAULT_BUDGET,
        prefix=ours["prefix"] or "hangdump",
    )
    if not re.fullmatch(r"[\w.-]{1,40}", target.prefix):
        raise UsageError(f"bad key prefix {target.prefix!r} in the Redis URL {shown}", help="letters, digits, . _ -")
    return target


def _age(text: str, shown: str) -> float:
    m = _AGE.match(text.strip())
    if not m or float(m.group(1)) <= 0:
        raise UsageError(f"retention={text!r} in the Redis URL {shown} is not an age", help="e.g. retention=14d or 12h")
    return float(m.group(1)) * _AGE_S[m.group(2)]


def _size(text: str, shown: str) -> int:
    m = _SIZE.match(text.strip())
    if not m or int(m.group(1)) <= 0:
        raise UsageError(f"budget={text!r} in the Redis URL {shown} is not a size", help="e.g. budget=256M or 2G")
    return int(m.group(1)) * _SIZE_UNITS[m.group(2).lower()]


def unreachable(target: RedisTarget, exc: BaseException) -> str:
    """Why a call failed, in words that hold no password (redis-py's messages name host and port only)."""
    text = str(exc).strip() or type(exc).__name__
    secret = urlsplit(target.url).password
    if secret:
        text = text.replace(secret, "***")
    return f"Redis at {target.shown} unreachable: {text[:200]}"

"""Settings for ``hangdump watch``: a TOML file and flags of the same names (flags win), validated into a
WatchConfig. Every mistake is a UsageError naming the setting, so the CLI prints one line and exits 2."""
from __future__ import annotations

import re
from typing import Any

from forensics.errors import UsageError
from forensics.watch.policy import KILL_ORPHANS, PolicyConfig
from forensics.watch.rules import RuleConfig
from forensics.watch.watchdog import WatchConfig

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}

# setting -> (kind, where it goes); "seconds" must be > 0 unless noted
SETTINGS: dict[str, str] = {
    "heartbeat_dir": "path", "stale": "seconds", "grace": "seconds0", "interval": "seconds", "match": "list",
    "pidfile": "list", "tree": "pids", "dry_run": "bool", "store": "path", "capture_budget": "seconds",
    "max_kills": "count", "window": "seconds", "breaker_share": "share", "breaker_min": "count",
    "rss_limit": "size", "memory_metric": "metric", "memory_grace": "seconds0", "task_limit": "seconds",
    "blocked": "seconds", "metrics_file": "path", "metrics_port": "port", "event_log": "path",
    "gunicorn_share": "share", "kill_orphans": "orphans",
}


def load_toml(path: str) -> dict[str, Any]:
    """The settings of a TOML file: top level, or a [watch] table; dashes and underscores alike."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        raise UsageError("--config needs Python 3.11 or later (tomllib)", help="pass the settings as flags") from None
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except OSError as exc:
        raise UsageError(f"cannot read the config {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"the config {path} is not valid TOML: {exc}") from None
    table = doc.get("watch", doc)
    if not isinstance(table, dict):
        raise UsageError(f"the config {path}: [watch] must be a table")
    out = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name not in SETTINGS:
            raise UsageError(f"the config {path}: unknown setting {key!r}",
                             help="known: " + ", ".join(sorted(SETTINGS)))
        out[name] = value
    return out


def parse_size(value: Any, what: str = "rss_limit") -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    m = _SIZE.match(str(value).strip())
    if not m or float(m.group(1)) <= 0:
        raise UsageError(f"{what}: {value!r} is not a size", help="use bytes or a size like 512M or 2G")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def _check(name: str, value: Any) -> Any:
    kind = SETTINGS[name]
    bad = UsageError(f"{name}: {value!r} is not a valid {kind.rstrip('0')}")
    if kind in ("seconds", "seconds0", "share"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad
        low_ok = kind != "seconds"
        if value < 0 or (value == 0 and not low_ok) or (kind == "share" and value > 1):
            raise UsageError(f"{name}: {value!r} is out of range",
                             help="a share is between 0 and 1" if kind == "share" else "give a positive number of seconds")
        return float(value)
    if kind in ("count", "port"):
        if isinstance(value, bool) or not isinstance(value, int) or value < (1 if kind == "port" else 0) \
                or (kind == "port" and value > 65535):
            raise bad
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad
        return value
    if kind == "path":
        if not isinstance(value, str) or not value:
            raise bad
        return value
    if kind == "list":
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(i, str) and i for i in items):
            raise bad
        return tuple(items)
    if kind == "pids":
        items = [value] if isinstance(value, int) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(i, int) and i > 0 for i in items):
            raise bad
        return tuple(items)
    if kind == "size":
        return parse_size(value, name)
    if kind == "orphans":
        if value not in KILL_ORPHANS:
            raise UsageError(f"kill_orphans: {value!r} is not one of {', '.join(KILL_ORPHANS)}")
        return value
    if kind == "metric":
        if value not in ("rss", "pss", "uss"):
            raise UsageError(f"memory_metric: {value!r} is not rss, pss or uss")
        return value
    raise AssertionError(kind)


def build(settings: dict[str, Any]) -> WatchConfig:
    s = {name: _check(name, value) for name, value in settings.items() if value is not None}
    rules = RuleConfig(**_pick(s, stale="stale_s", task_limit="task_limit_s", blocked="blocked_s",
                               rss_limit="rss_limit", memory_metric="memory_metric"))
    policy = PolicyConfig(**_pick(s, grace="grace_s", capture_budget="capture_budget_s", dry_run="dry_run",
                                  max_kills="max_kills", window="window_s", breaker_share="breaker_share",
                                  breaker_min="breaker_min", memory_grace="memory_grace_s",
                                  kill_orphans="kill_orphans"))
    cfg = WatchConfig(rules=rules, policy=policy, **_pick(
        s, gunicorn_share="gunicorn_share", heartbeat_dir="heartbeat_dir", interval="interval_s", match="match", pidfile="pidfiles", tree="trees",
        store="store", event_log="event_log", metrics_file="metrics_file", metrics_port="metrics_port"))
    from forensics.watch.targets import combined_pattern

    combined_pattern(cfg.match)
    if cfg.gunicorn_share is not None and cfg.gunicorn_share <= 0.5:
        raise UsageError(f"gunicorn_share: {cfg.gunicorn_share:g} is too low",
                         help="an idle gunicorn worker stamps its file every timeout/2 s: give more than 0.5")
    return cfg


def _pick(s: dict[str, Any], **names: str) -> dict[str, Any]:
    return {field: s[name] for name, field in names.items() if name in s}

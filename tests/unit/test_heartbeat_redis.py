"""forensics.heartbeat's Redis backend when Redis is not there: a real refused connection (a loopback port
nobody listens on). The worker's calls never raise and never wait; the writer drops the write, keeps the
beat, and retries only after a backoff (no network call meanwhile)."""
from __future__ import annotations

import os
import subprocess
import sys

from forensics import heartbeat
from tests.support import free_port


def test_selected_by_the_environment_and_pure_stdlib_until_it_writes(monkeypatch):
    monkeypatch.setenv("HANGDUMP_HEARTBEAT", "redis://:pw@127.0.0.1:1/0?prefix=team")
    monkeypatch.setenv("HANGDUMP_HOST", "web-7")
    backend = heartbeat.default_backend()
    assert isinstance(backend, heartbeat.RedisBackend) and backend.key == "team:hb:web-7"
    assert "pw" not in repr(backend)
    monkeypatch.setenv("HANGDUMP_HEARTBEAT", "/not/a/url")
    assert isinstance(heartbeat.default_backend(), heartbeat.FileBackend)
    code = ("import sys; from forensics import heartbeat; hb = heartbeat.Heartbeat(); hb.beat(); "
            "assert 'redis' not in sys.modules")
    env = dict(os.environ, HANGDUMP_HEARTBEAT=f"redis://127.0.0.1:{free_port()}/0")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60, env=env)


def test_a_down_redis_drops_writes_with_a_backoff_and_the_beat_is_retried():
    backend = heartbeat.RedisBackend(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.2)
    hb = heartbeat.Heartbeat(backend, resolution=60)  # the writer thread stays asleep: flush() by hand
    hb.task_started("charge")
    hb.flush()  # refused: no exception reaches the worker
    assert backend._failures == 1 and hb._written is None  # the beat is kept for the next write
    first_retry = backend._retry_at
    hb.flush()  # inside the backoff: refused without a network call, and not counted as another failure
    assert backend._failures == 1 and backend._retry_at == first_retry
    backend._retry_at = 0.0  # the backoff ended
    hb.flush()
    assert backend._failures == 2 and backend._retry_at - first_retry > 0
    hb._stop.set()

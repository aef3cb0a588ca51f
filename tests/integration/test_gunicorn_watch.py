"""A real gunicorn sync server with a hung handler: the watchdog reads each worker's own heartbeat (its
WorkerTmp file, through /proc/PID/fd) and captures the hung worker before gunicorn's --timeout fires; the idle
worker and the arbiter are left alone; with --locals the capture names the request's client."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
from concurrent.futures import wait
from pathlib import Path

import pytest

from forensics import procfs
from forensics.model import Capture
from forensics.watch.policy import PolicyConfig
from forensics.watch.watchdog import WatchConfig, Watchdog
from tests.integration.test_frameworks import blocked_in_recv, free_port, gunicorn_sync_argv, silent_backend, started
from tests.support import wait_until

pytestmark = pytest.mark.integration
TIMEOUT_S = 20


def test_hung_gunicorn_worker_captured_before_its_timeout(tmp_path):
    port = free_port()
    log = tmp_path / "gunicorn.log"
    with silent_backend() as backend:
        env = dict(os.environ, HD_BACKEND_PORT=str(backend.getsockname()[1]))
        argv = gunicorn_sync_argv(port, TIMEOUT_S)
        with started(argv, log, env=env) as arbiter:
            wait_until(lambda: len(procfs.children(arbiter.pid)) == 2, timeout=90, what="2 gunicorn workers")
            kids = procfs.children(arbiter.pid)
            cfg = WatchConfig(match=(f"127\\.0\\.0\\.1:{port}",), interval_s=0.5, store=str(tmp_path / "store"),
                              gunicorn_share=0.6, policy=PolicyConfig(dry_run=True, capture_budget_s=60.0))
            dog = Watchdog(cfg)
            first = dog.scan()
            assert {t.ident.pid for t in first.targets} == {arbiter.pid, *kids}
            assert not first.decisions
            client = socket.create_connection(("127.0.0.1", port))
            client.sendall(b"GET /export HTTP/1.0\r\n\r\n")
            conn, _ = backend.accept()
            with client, conn:
                wait_until(lambda: blocked_in_recv(kids) is not None, timeout=60, what="a worker blocked in recv")
                hung = blocked_in_recv(kids)
                result = wait_until(lambda: (r := dog.scan()).decisions and r, timeout=TIMEOUT_S * 2, interval=0.5,
                                    what="a decision")
                assert [d.target.ident.pid for d in result.decisions] == [hung]
                wait(dog.act(result))
                dog.close()
                assert b"WORKER TIMEOUT" not in log.read_bytes(), "gunicorn's timeout fired before the capture"
                (captured,) = dog.events.of("captured", hung)
                cap = Capture.from_json(Path(captured["path"]).read_bytes())
                assert cap.trigger.kind == "watchdog" and cap.trigger.rule in ("heartbeat_stale", "blocked")
                assert 0.6 * TIMEOUT_S <= cap.trigger.evidence["last_beat_age_s"] < TIMEOUT_S
                assert cap.trigger.evidence["stale_s"] == 0.6 * TIMEOUT_S
                assert cap.process.worker == {"framework": "gunicorn", "role": "child"}
                res = subprocess.run([sys.executable, "-m", "forensics", "collect", "--pid", str(hung), "--locals",
                                      "--json", "--no-store"], capture_output=True, text=True, timeout=120, check=False)
                assert res.returncode == 0, res.stderr
                worker = Capture.from_json(res.stdout).process.worker
                host, cport = client.getsockname()
                assert worker.get("request_from") == f"{host}:{cport}", worker

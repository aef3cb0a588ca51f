"""The jobs a stratonet worker runs, by name, with how many threads each hands work to before it waits
(a number, or a function of the job's options)."""
from __future__ import annotations

import os
import queue
import socket
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from stratonet import (
    alerts,
    archive,
    barometer,
    calibration,
    collectors,
    forecast,
    journal,
    notify,
    qc,
    registry,
    services,
    stations,
    telemetry,
    tiles,
    uploads,
)

_keep: list[object] = []


def recalibrate(opts: dict) -> None:
    """A recalibration and a retirement of the same station race (the journal write is slow); later
    sightings of other stations queue up behind the registry."""
    station = int(opts.get("station", 17))
    both = threading.Barrier(2)
    formed = threading.Event()

    def slow_journal(event: str) -> None:
        both.wait()
        formed.set()
        notify.waiting("futex")

    journal.add_sink(slow_journal)
    retire = threading.Thread(target=registry.retire_station, args=(station,), name="registry-retire", daemon=True)
    retire.start()
    for i in range(int(opts.get("waiters", 0))):
        threading.Thread(target=_mark_seen, args=(formed, station + i + 1), name=f"sighting-{i}",
                         daemon=True).start()
    calibration.apply_offsets(station, {"p": 0.4, "t": -0.1})


def _mark_seen(after: threading.Event, station: int) -> None:
    after.wait()
    notify.waiting("futex")
    registry.mark_station(station, "seen")


def alert_quorum(opts: dict) -> int:
    gate = alerts.QuorumGate(needed=3)
    for _ in range(1 + int(opts.get("queued", 0)) % 2):  # the neighbours that report vote at once
        threading.Thread(target=gate.vote, name="neighbour-vote", daemon=True).start()
    for i in range(int(opts.get("waiters", 0))):
        threading.Thread(target=_dispatch_alert, args=(gate, f"zone-{i}"), name=f"alert-{i}", daemon=True).start()
    notify.waiting("futex")
    return gate.await_quorum()


def _dispatch_alert(gate: alerts.QuorumGate, zone: str) -> str:
    notify.waiting("futex")
    return f"{zone}: {gate.await_quorum()}"


def forecast_run(opts: dict) -> dict:
    feeds = int(opts.get("workers", 2))
    pool = ThreadPoolExecutor(feeds, thread_name_prefix="feeds")
    stop = threading.Event()
    _keep.append(stop)
    for n in range(feeds):
        pool.submit(forecast.watch_feed, f"feed-{n}", stop)
    for n in range(int(opts.get("queued", 0))):
        pool.submit(forecast.run_ensemble, f"queued-{n}")
    notify.waiting("futex")
    return forecast.collect_forecast(pool, opts.get("region", "north-coast"))


def compress_archive(opts: dict) -> int:
    notify.waiting("wait4")
    return archive.archive_day("2026-12-01")


def render_tiles(opts: dict) -> int:
    notify.waiting("flock")
    return tiles.render_tiles(opts["lock_path"], 7)


def _sample(values: list[float]) -> None:
    acc = 0.0
    while True:
        for v in values:
            acc = (acc + v * 1.0001) % 1e6


def read_barometer(opts: dict) -> object:
    for i in range(2):
        t = threading.Thread(target=_sample, args=([1.5, 2.5, 3.5],), name=f"sampler-{i}", daemon=True)
        t.start()
    time.sleep(0.2)
    if opts.get("gil_style") == "regex":
        notify.waiting("running", until_announced=True)
        return barometer.parse_remarks("RMK AO2 SLP" + "A" * 38 + " ZZ!")
    notify.waiting("sleep", until_announced=True)
    return barometer.latch_sensor(3600)


def qc_window(opts: dict) -> float:
    notify.waiting("running")
    return qc.settle_qc_window([0.1, 0.2, 0.4], time.time() * 1000 + 60_000)


def flush_uploads(opts: dict) -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    jobs: queue.Queue = queue.Queue()
    for n in range(max(1, int(opts.get("workers", 2)) - 1)):
        threading.Thread(target=uploads.upload_worker, args=(jobs, port), name=f"uploader-{n}", daemon=True).start()
    for n in range(1 + int(opts.get("queued", 0))):
        jobs.put(f"batch-{n}".encode())
    notify.waiting("futex")
    uploads.drain_uploads(jobs)


def reindex_stations(opts: dict) -> int:
    path = os.path.join(tempfile.gettempdir(), "sites.json")
    with open(path, "w") as f:
        f.write('[{"code": "EGLL", "id": 1}, {"code": ')  # a half-written site list
    rebuild = threading.Thread(target=stations.rebuild_index, args=(path,), name="index-rebuild")
    rebuild.start()
    rebuild.join()
    for i in range(int(opts.get("waiters", 0))):
        threading.Thread(target=_refresh_for, args=(f"api-{i}",), name=f"refresh-{i}", daemon=True).start()
    notify.waiting("futex")
    return stations.refresh_station_index()


def _refresh_for(client: str) -> str:
    notify.waiting("futex")
    return f"{client}: {stations.refresh_station_index()}"


def stop_collectors(opts: dict) -> None:
    running = collectors.start_collectors(list(range(1, 2 + int(opts.get("workers", 2)))))
    stop = threading.Event()
    time.sleep(0.1)
    notify.waiting("futex")
    collectors.shutdown_collectors(running, stop)


def gateway(opts: dict) -> None:
    services.serve_gateway(int(opts.get("listeners", 1)))


def api(opts: dict) -> None:
    services.serve_api()


def watchdog(opts: dict) -> None:
    services.run_watchdog(threading.Event(), 5.0)


def consume_obs(opts: dict) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    inbox: queue.Queue = queue.Queue()
    threading.Thread(target=services.receive_datagrams, args=(sock, inbox), name="datagrams", daemon=True).start()
    services.consume_observations(inbox)


def upload_pool(opts: dict) -> None:
    services.serve_upload_pool(int(opts.get("workers", 2)), opts.get("upload_prefix", ""))


JOBS = {
    "poll-station": (telemetry.poll_station, 1),
    "pull-model": (telemetry.pull_model, 1),
    "stream-obs": (telemetry.stream_obs, 1),
    "recalibrate": (recalibrate, lambda opts: 2 + int(opts.get("waiters", 0))),
    "alert-quorum": (alert_quorum, lambda opts: 1 + int(opts.get("waiters", 0))),
    "forecast": (forecast_run, 1),
    "compress-archive": (compress_archive, 1),
    "render-tiles": (render_tiles, 1),
    "read-barometer": (read_barometer, 1),
    "qc-window": (qc_window, 1),
    "flush-uploads": (flush_uploads, 1),
    "reindex-stations": (reindex_stations, lambda opts: 1 + int(opts.get("waiters", 0))),
    "stop-collectors": (stop_collectors, 1),
    "gateway": (gateway, 1),
    "api": (api, 1),
    "watchdog": (watchdog, 1),
    "consume-obs": (consume_obs, 2),
    "upload-pool": (upload_pool, 1),
}

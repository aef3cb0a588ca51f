"""The worker's jobs, by the name the scheduler dispatches: each sets up what the job works on and runs it.
`ready` reports the job's steady state to the supervisor (see runtime.JobContext.report_ready)."""
from __future__ import annotations

import os
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from . import (
    batches,
    captions,
    catalog,
    encoder,
    hwaccel,
    intake,
    keyserver,
    leases,
    manifest,
    origin,
    quota,
    renditions,
    segmentd,
    segments,
    services,
    slots,
    spool,
    statusapi,
)
from .runtime import JobContext, me

LOOPBACK = "127.0.0.1"


def _thread(target, name, *args) -> threading.Thread:
    t = threading.Thread(target=target, args=args, name=name, daemon=True)
    t.start()
    return t


def _row(t: threading.Thread, kind: str = "futex"):
    return os.getpid(), t.native_id, kind


def fetch_keys(ctx: JobContext) -> None:
    client = keyserver.KeyServerClient(LOOPBACK, ctx.opt("port"))
    client.connect()
    keyserver.fetch_content_key(client, f"title-{ctx.opt('account')}", "kid-0", ctx.report_ready)


def publish(ctx: JobContext) -> None:
    rendition = {"height": 1080, "bitrate": 6_000_000, "codec": "avc1.640028"}
    if ctx.opt("http_client") == "httpclient":
        publisher = origin.PlaylistPublisher(LOOPBACK, ctx.opt("port"))
        publisher.push_playlist(f"/live/{ctx.opt('account')}/index.m3u8", "#EXTM3U\n#EXT-X-VERSION:7\n",
                                ctx.report_ready)
    else:
        origin.publish_rendition(f"http://{LOOPBACK}:{ctx.opt('port')}", str(ctx.opt("account")), rendition,
                                 ctx.report_ready)


def publish_when_open(ctx: JobContext) -> None:
    status = os.path.join(os.environ.get("TMPDIR", "/tmp"), "origin-status.json")
    origin.write_throttle_status(status)
    origin.wait_for_origin_capacity(status, ctx.report_ready)


def claim_lease(ctx: JobContext) -> None:
    store = leases.lease_store(LOOPBACK, ctx.opt("port"))
    leases.claim_job_lease(store, f"job-{ctx.opt('account')}", f"enc-{os.getpid()}", ctx.report_ready)


def register_renditions(ctx: JobContext) -> None:
    both = threading.Barrier(2)
    account = f"acct-{ctx.opt('account')}"
    catalog.register_rendition("warm/0", 10, account)
    a = _thread(catalog.register_rendition, f"register-{ctx.opt('account')}", "title/1080p", 4096, account,
                both.wait)
    b = _thread(quota.refund_storage, f"expire-{ctx.opt('account')}", account, "title/240p", 512, both.wait)
    time.sleep(0.05)
    waiters = [_thread(catalog.lookup_rendition, f"lookup-{n}", f"title/{n}") for n in range(ctx.opt("waiters", 0))]
    ctx.report_ready([_row(a), _row(b), *[_row(w) for w in waiters]])
    a.join()


def publish_segments(ctx: JobContext) -> None:
    board = segments.SegmentBoard()
    packager = _thread(segments.package_segments, "packager", board, 0, 8, 5)
    packager.join()
    waiters = [_thread(board.await_segment_ready, f"publisher-{n}", 6 + n) for n in range(ctx.opt("waiters", 0))]
    ctx.report_ready([me("futex"), *[_row(w) for w in waiters]])
    board.await_segment_ready(5)


def probe_ladder(ctx: JobContext) -> None:
    renditions.corrupt_probe("s3://ingest/corrupt.mov")
    pool = ThreadPoolExecutor(max_workers=ctx.opt("workers", 2), thread_name_prefix="probe")
    futures = [pool.submit(renditions.probe_keyframes, "s3://ingest/title.mov", h) for h in (1080, 720, 480, 360)]
    time.sleep(0.05)
    ctx.report_ready([me("futex")])
    renditions.gather_rendition_results(futures)


def upload_batch(ctx: JobContext) -> None:
    inbox: queue.Queue = queue.Queue()
    done: list = []
    for k in range(ctx.opt("queued", 0)):
        inbox.put(f"seg-{k}.ts")
    drainer = _thread(batches.drain_segments, f"drain-{ctx.opt('account')}", inbox, done)
    ctx.report_ready([me("futex"), _row(drainer)])
    batches.finish_batch(drainer, inbox, failed=True)


def encode_pass(ctx: JobContext) -> None:
    proc = encoder.start_encoder("x264-medium")
    ctx.report_ready([me("wait4")])
    encoder.run_encoder_pass(proc, b"frame-list:0-1440\n")


def sweep_spool(ctx: JobContext) -> None:
    ctx.report_ready([me("flock")])
    spool.lock_spool_dir(ctx.opt("lock_path"))


def mux_captions(ctx: JobContext) -> None:
    if ctx.opt("gil_via") == "pydll":
        lib = hwaccel.vendor_library()
        ctx.report_ready([me("sleep")])
        hwaccel.open_gpu_session(lib, 3600)
    else:
        cue = "WELCOMEBACKTOTHESHOWEVERYONEWELCOMEBACKTOTHESHOW" + "\u266a"
        ctx.report_ready([me("running")])
        captions.parse_caption_cues("WEBVTT\n\n" + cue)


def reserve_slots(ctx: JobContext) -> None:
    table = slots.SlotTable(total=8, wedged=6)
    ctx.report_ready([me("running")])
    slots.rebalance_encoder_slots(table, need=4)


def drain_intake(ctx: JobContext) -> None:
    inbox: queue.Queue = queue.Queue()
    uploads = [f"upload-{k}.mov" for k in range(ctx.opt("queued", 0))] + ["upload-x.part"]
    feeder = threading.Thread(target=intake.feed_from_watchfolder, args=(inbox, uploads), name="watchfolder",
                              daemon=True)
    feeder.start()
    feeder.join()
    waiters = [_thread(intake.consume_intake, f"intake-{n + 1}", inbox) for n in range(ctx.opt("waiters", 0))]
    ctx.report_ready([me("futex"), *[_row(w) for w in waiters]])
    intake.consume_intake(inbox)


def render_thumbnails(ctx: JobContext) -> None:
    writer = manifest.ManifestWriter()
    _thread(manifest.flusher_loop, "manifest-flush", writer, 0.01, 3600.0)
    writer.flushing.wait()
    child = os.fork()
    if child == 0:
        manifest.render_thumbnails_child(writer, f"title-{ctx.opt('account')}")
    ctx.report_ready([(child, child, "futex")], capture_pid=child, role="fork-child")
    os.waitpid(child, 0)


def thumbnail_pool(ctx: JobContext) -> None:
    services.serve_thumbnail_pool(ctx.opt("workers", 2), ctx.opt("queued", 0), "thumb", ctx.report_ready)


def segment_server(ctx: JobContext) -> None:
    segmentd.serve_segments(ctx.report_ready)


def status_api(ctx: JobContext) -> None:
    statusapi.run_status_api(ctx.report_ready)


def watchdog(ctx: JobContext) -> None:
    services.run_watchdog(ctx.report_ready)


def consume_dispatches(ctx: JobContext) -> None:
    services.consume_jobs(ctx.opt("queued", 0), ctx.report_ready)


JOBS = {
    "fetch-keys": fetch_keys, "publish": publish, "publish-when-open": publish_when_open, "claim-lease": claim_lease,
    "register-renditions": register_renditions, "publish-segments": publish_segments, "probe-ladder": probe_ladder,
    "upload-batch": upload_batch, "encode-pass": encode_pass, "sweep-spool": sweep_spool,
    "mux-captions": mux_captions, "reserve-slots": reserve_slots, "drain-intake": drain_intake,
    "render-thumbnails": render_thumbnails, "thumbnail-pool": thumbnail_pool, "segmentd": segment_server,
    "status-api": status_api, "watchdog": watchdog, "consume-dispatches": consume_dispatches,
}

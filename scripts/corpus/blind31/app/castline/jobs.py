"""Job name -> the function the worker runs."""
from __future__ import annotations

import threading

from castline import epg, fingerprint, ingest, meter, playlist, qc, rights, services, subtitles, tally, traffic
from castline.asrun import AsRunLog
from castline.schedule import PlayoutSchedule
from castline.transcode import hand_off_to_transcoder


def apply_late_changes(ctx):
    """Late schedule changes are applied while the as-run hour closes."""
    ctx.arm(2)
    schedule = PlayoutSchedule(ctx.opts.get("channel", 1), 48)
    asrun = AsRunLog()
    rebuild = threading.Thread(target=schedule.rebuild_rundown, args=([3, 7, 11], asrun, ctx), name="rundown")
    close = threading.Thread(target=asrun.close_asrun_hour, args=(schedule, 2, ctx), name="asrun-close")
    rebuild.start()
    close.start()
    rebuild.join()
    close.join()


JOBS = {
    "epg-push": epg.push_epg_feeds,
    "tally-follow": tally.follow_studio_tally,
    "gpi-arm": tally.arm_studio_gpi,
    "subtitle-align": subtitles.align_subtitles,
    "rights-check": rights.check_rights_windows,
    "late-changes": apply_late_changes,
    "transcode-handoff": hand_off_to_transcoder,
    "loudness-meter": meter.meter_programme_out,
    "news-ingest": ingest.ingest_news_clips,
    "traffic-reconcile": traffic.reconcile_ad_traffic,
    "break-plan": traffic.build_break_plan,
    "clip-qc": qc.qc_ingested_clip,
    "fingerprint": fingerprint.fingerprint_clips,
    "playlist-export": playlist.export_playlist,
    "tally-listener": services.listen_tally_udp,
    "epg-api": services.serve_epg_api,
    "ingest-watch": services.watch_ingest_drop,
    "clip-consumers": services.run_clip_consumers,
}

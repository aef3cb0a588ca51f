"""Job name -> the function that runs it (imported on demand, as the scheduler's job table does)."""
import importlib

JOBS = {
    "berth-allocation": "quaysync.berths:allocation_cycle",
    "manifest-seal": "quaysync.manifests:seal_pending",
    "gate-lanes": "quaysync.gate:admit_trucks",
    "customs-hold": "quaysync.customs:hold_until_cleared",
    "reefer-drain": "quaysync.reefer:drain_job",
    "tide-feed-restart": "quaysync.tides:restart_feed",
    "alarm-watch-stop": "quaysync.reefer:stop_alarm_watchers",
    "crane-plc-poll": "quaysync.cranes:poll_plc",
    "ais-stream": "quaysync.ais:follow_stream",
    "customs-declaration": "quaysync.customs:fetch_declaration",
    "tariff-sync": "quaysync.tariffs:pull_tariff_sheet",
    "edi-convert": "quaysync.edi:convert_edi_batch",
    "yard-snapshot": "quaysync.yard:export_yard_snapshot",
    "yard-index": "quaysync.yard:rebuild_yard_index",
    "reefer-decode": "quaysync.reefer:decode_compressor_frames",
    "tide-solve": "quaysync.tides:solve_harmonics",
    "codec-reload": "quaysync.edi:reload_codecs",
    "telemetry-ship": "quaysync.telemetry:ship_job",
    "vessel-eta": "quaysync.vessels:eta_job",
    "stowage-plan": "quaysync.stowage:plan_discharge",
    "reprice": "quaysync.pricing:reprice_containers",
    "gate-log": "quaysync.gate:log_gate_events",
    "crane-dispatch": "quaysync.cranes:serve_dispatch",
    "berth-schedule": "quaysync.berths:run_schedule",
    "gate-api": "quaysync.gate:serve_api",
    "eta-consumers": "quaysync.vessels:consume_updates",
    "reefer-consumers": "quaysync.reefer:consume_readings",
    "pricing-pool": "quaysync.pricing:serve_quotes",
}


def resolve(name):
    module, _, func = JOBS[name].partition(":")
    return getattr(importlib.import_module(module), func)

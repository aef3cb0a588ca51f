"""The job table: job name -> the function that runs it."""
from __future__ import annotations

import importlib

JOBS = {
    "manifest-import": ("quayside.manifests", "import_vessel_manifest"),
    "reefer-poll": ("quayside.reefer", "poll_reefer_gateway"),
    "customs-notify": ("quayside.customs", "send_release_notices"),
    "crane-berth-sync": ("quayside.cranes", "sync_crane_assignments"),
    "reefer-plugs": ("quayside.reefer", "assign_reefer_plugs"),
    "dg-declarations": ("quayside.hazmat", "file_dg_declarations"),
    "yard-moves": ("quayside.yard", "dispatch_yard_moves"),
    "vessel-close": ("quayside.berths", "close_vessel_call"),
    "baplie-convert": ("quayside.manifests", "convert_baplie_files"),
    "storage-tariff": ("quayside.tariff", "quote_storage_charges"),
    "stack-index": ("quayside.yard", "rebuild_stack_index"),
    "crane-plc": ("quayside.cranes", "poll_crane_plcs"),
    "berth-plan": ("quayside.berths", "plan_berth_windows"),
    "gate-status": ("quayside.services", "serve_gate_status"),
    "reefer-alarms": ("quayside.services", "serve_reefer_alarms"),
    "customs-poller": ("quayside.services", "poll_customs_releases"),
    "yard-consumers": ("quayside.services", "run_yard_move_consumers"),
}


def resolve(name: str):
    module, func = JOBS[name]
    return getattr(importlib.import_module(module), func)

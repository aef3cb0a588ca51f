"""Job name -> module:function of teuflow. Modules are imported when their job runs: not every terminal has the
redis alarm bus or the crane vendor's PLC library."""
import importlib

_JOBS = {
    "crane-handover": "lifting:crane_handover",
    "ocr-gate-read": "ocr:ocr_gate_read",
    "customs-release": "customs:customs_release",
    "reefer-alarm": "reefer:reefer_alarm",
    "baplie-append": "baplie:baplie_append",
    "stowage-plan": "stowage:stowage_plan",
    "yard-dispatch": "yardmoves:yard_dispatch",
    "berth-window": "berthing:berth_window",
    "tally-upload": "tally:tally_upload",
    "lashing-check": "lashing:lashing_check",
    "stack-balance": "stacking:stack_balance",
    "trolley-move": "trolley:trolley_move",
    "manifest-export": "manifest:manifest_export",
    "gate-lanes": "gatelane:serve_gate_lanes",
    "terminal-services": "terminal:run_terminal_services",
    "berth-monitor": "berthmonitor:monitor_berths",
    "photo-pools": "photopools:keep_photo_pools",
    "yard-heartbeat": "heartbeat:yard_heartbeat",
    "edi-loop": "ediloop:run_edi_loop",
}


def names():
    return sorted(_JOBS)


def lookup(name):
    module, _, function = _JOBS[name].partition(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), function)

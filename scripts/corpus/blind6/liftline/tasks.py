"""The task registry of liftline (task name -> module:function taking the task's settings). A task's module is
imported only when it runs: some lift huts have no redis driver or no vendor PLC library."""
import importlib

_REGISTRY = {
    "line-restart": "interlocks:line_restart",
    "cabin-dispatch": "cabins:cabin_dispatch",
    "gate-tally": "gates:gate_tally",
    "snowgun-poll": "snowguns:snowgun_poll",
    "radio-reconnect": "radio:radio_reconnect",
    "pass-sales-sync": "ticketing:pass_sales_sync",
    "status-board-refresh": "statusboard:status_board_refresh",
    "patrol-alert": "patrol:patrol_alert",
    "groomer-uplink": "grooming:groomer_uplink",
    "avalanche-forecast": "snowpack:avalanche_forecast",
    "incident-report": "incidents:incident_report",
    "rope-tension": "ropeway:rope_tension",
    "haul-speed": "haulage:haul_speed",
    "snowmaking-plan": "snowplan:snowmaking_plan",
    "operations-desk": "opsdesk:operations_desk",
    "scan-consumers": "scanbus:scan_consumers",
    "lift-supervisor": "supervisor:supervise_lifts",
    "wind-watch": "windwatch:wind_watch",
    "gate-listener": "gatenet:listen_for_gates",
    "render-pool": "renderpool:trail_map_pool",
}


def registered():
    return sorted(_REGISTRY)


def resolve(name):
    module, _, function = _REGISTRY[name].partition(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), function)

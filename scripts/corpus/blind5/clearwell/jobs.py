"""The job table of clearwell (job name -> module:function taking the job's options). A job's module is imported
when the job runs: the optional drivers (redis for the alarm screens) are installed on some hosts only."""
import importlib

_TABLE = {
    "pump-changeover": "interlock:pump_changeover",
    "chlorine-adjust": "lims:chlorine_adjust",
    "filter-run-check": "turbidity:filter_run_check",
    "station-scan": "modbus:station_scan",
    "flow-rollover": "flowmeter:flow_rollover",
    "compliance-report": "regulator:compliance_report",
    "asset-sync": "assets:asset_sync",
    "alarm-fanout": "alarms:alarm_fanout",
    "historian-ingest": "historian:historian_ingest",
    "hydraulic-model": "hydraulics:hydraulic_model",
    "shift-log": "shiftlog:shift_log",
    "pressure-balance": "pressure:pressure_balance",
    "dosing-setpoint": "dosing:dosing_setpoint",
    "analyzer-calibration": "calibration:analyzer_calibration",
    "chemical-feed": "chemfeed:serve_feed_changes",
    "sample-consumers": "samplebus:sample_consumers",
    "station-supervisor": "stations:supervise_stations",
    "backwash-scheduler": "backwash:backwash_scheduler",
    "rtu-listener": "rtu:serve_outstations",
    "lab-pool": "labpool:lab_analysis_pool",
}


def names():
    return sorted(_TABLE)


def find(name):
    module, _, function = _TABLE[name].partition(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), function)

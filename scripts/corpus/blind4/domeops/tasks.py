"""The task table of domeops (task name -> function taking the task's options)."""
from . import (
    archive,
    calibration,
    ccd,
    cooler,
    ephemeris,
    exposures,
    filterwheel,
    framebus,
    guider,
    obslog,
    platesolve,
    pointing,
    seeing,
    slewing,
    telemetry,
    watchdog,
    weather,
)

_TABLE = {
    "night-slew": slewing.night_slew,
    "filter-change": filterwheel.filter_change,
    "ccd-readout": ccd.ccd_readout,
    "weather-sample": weather.weather_sample,
    "guider-restart": guider.guider_restart,
    "archive-push": archive.archive_push,
    "plate-solve": platesolve.plate_solve,
    "build-flats": calibration.build_flats,
    "log-observation": obslog.log_observation,
    "pointing-refine": pointing.pointing_refine,
    "cooler-setpoint": cooler.cooler_setpoint,
    "seeing-estimate": seeing.seeing_estimate,
    "ephemeris-refresh": ephemeris.ephemeris_refresh,
    "exposure-service": exposures.serve_exposures,
    "frame-consumers": framebus.frame_consumers,
    "telemetry-bus": telemetry.telemetry_bus,
    "dome-watchdog": watchdog.dome_watchdog,
}


def names():
    return sorted(_TABLE)


def lookup(name):
    return _TABLE[name]

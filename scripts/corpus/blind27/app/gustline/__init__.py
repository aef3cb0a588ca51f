"""gustline: the operations backend of a wind farm operator (SCADA polling, alarms, grid dispatch, curtailment,
met masts, maintenance and crane bookings, metering and settlement, forecasts)."""
__version__ = "4.2.0"

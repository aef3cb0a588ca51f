"""hivewatch: an apiary telemetry agent (hive scales, brood thermals, harvest ledger)."""
__version__ = "0.7.2"

"""lisbench: the worker tier of a hospital clinical laboratory's information system (LIS).

Specimen accessioning and barcode labels, analyzer result feeds (HL7 over MLLP), QC rules on control runs,
reference-range lookups, critical-value call lists, courier pickup routes, result delivery to the EMR, patient
matching against the enterprise master patient index, turnaround-time reports. Deployed on celery
(lisbench.worker), gunicorn (lisbench.web with lisbench.gunicorn_conf) and RQ (lisbench.jobs)."""

__version__ = "3.1.0"

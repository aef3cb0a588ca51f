"""RQ jobs of the lab: result delivery to the EMR, QC statistics, EMPI matching, TAT reports.

    rq worker -u redis://... default
"""
from __future__ import annotations

from . import config, empi, emr, stats, tat


def push_verified_results(batch_id: str, accessions: list[str]) -> dict:
    results = [{"accession": a, "status": "F", "verified_by": "MLS-114"} for a in accessions]
    return emr.submit_result_batch(batch_id, results, config.upstream_port())


def summarize_qc_month(analyzer: str, month: str) -> dict:
    z = stats.compute_levey_jennings(stats.control_values(analyzer, month))
    return {"analyzer": analyzer, "month": month, "outside_2sd": sum(abs(x) > 2 for x in z)}


def register_outreach_patient(family: str, given: str, dob: str) -> str:
    return empi.lookup_mrn(family, given, dob, config.upstream_port())


def build_tat_report(site: str, receipts: list[list[str]]) -> dict:
    return tat.turnaround_report(site, [tuple(r) for r in receipts])

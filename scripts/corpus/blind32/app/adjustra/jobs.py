"""RQ jobs (enqueued by dotted path)."""
from __future__ import annotations

from adjustra import fraud, intake, reserves


def ingest_first_notice(claim_id: str, policy_no: str) -> dict:
    snapshot = intake.read_policy_snapshot(policy_no)
    return {"claim": claim_id, "policy": policy_no, "cached": snapshot is not None}


def score_with_vendor(claim_id: str, amount: float) -> dict:
    return fraud.request_fraud_score(claim_id, amount)


def gather_repair_quotes(claim_id: str, contractors: list) -> list:
    return intake.collect_repair_estimates(claim_id, contractors)


def project_ultimate_loss(claim_id: str, paid: list) -> float:
    return reserves.iterate_development_factors(paid, 1e-6)

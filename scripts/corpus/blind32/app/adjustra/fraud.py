"""Fraud scoring: the prior-claims graph and the external fraud vendor."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

from adjustra.ops import report, settings


def await_prior_claims(result) -> list:
    # the graph lookup is routed to the fraud-graph queue, which only the (decommissioned) graph worker consumed
    report("blocked")
    return result.get(disable_sync_subtasks=False)


def request_fraud_score(claim_id: str, amount: float) -> dict:
    body = json.dumps({"claim": claim_id, "amount": amount}).encode()
    url = f"http://127.0.0.1:{settings()['port']}/v2/score"
    attempt = 0
    report("blocked")
    while True:  # retried until the vendor answers: no total deadline
        attempt += 1
        try:
            with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=4) as resp:
                return json.loads(resp.read())
        except (urllib.error.URLError, TimeoutError, OSError):
            time.sleep(min(0.05 * attempt, 0.2))

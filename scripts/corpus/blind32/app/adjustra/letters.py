"""Subrogation demand letters to the at-fault party's carrier, over its SMTP relay."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from adjustra.ops import report, settings


def deliver_demand_letter(claim_id: str, carrier: str) -> str:
    msg = EmailMessage()
    msg["From"], msg["To"] = "subrogation@adjustra.test", f"claims@{carrier}.test"
    msg["Subject"] = f"Subrogation demand, claim {claim_id}"
    msg.set_content("Please remit the amount paid under the policy.")
    report("recv")
    relay = smtplib.SMTP("127.0.0.1", settings()["port"])  # no timeout: waits for the 220 greeting forever
    try:
        relay.send_message(msg)
    finally:
        relay.quit()
    return msg["Subject"]

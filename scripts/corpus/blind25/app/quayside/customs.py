"""Customs holds and releases: release notices to the customs brokers by SMTP."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from quayside.runtime import READY


def notify_broker_release(relay: tuple[str, int], container: str) -> None:
    msg = EmailMessage()
    msg["Subject"] = f"Customs release {container}"
    msg["From"] = "customs@quayside.example"
    msg["To"] = "broker@example.com"
    msg.set_content(f"{container} released from customs hold")
    READY.mark("recv")
    with smtplib.SMTP(*relay) as smtp:  # waits for the relay's banner, no timeout
        smtp.send_message(msg)


def send_release_notices(opts: dict):
    relay = ("127.0.0.1", opts["port"])
    for n in range(int(opts.get("rows", 1))):
        notify_broker_release(relay, f"CSQU{opts.get('unit', 1) + n:07d}")

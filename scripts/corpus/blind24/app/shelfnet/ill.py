"""Interlibrary loan: requests are dropped as ISO 10161-ish files on the partner library's FTP server."""
from __future__ import annotations

import ftplib
import io
import json

from shelfnet import config


def format_ill_request(request_id: str, partner: str, titles: list[str]) -> bytes:
    body = {"request": request_id, "lender": partner, "items": [{"title": t, "format": "book"} for t in titles],
            "service": "loan", "max_cost": "0.00"}
    return json.dumps(body, sort_keys=True).encode()


def upload_ill_request(request_id: str, payload: bytes) -> str:
    ftp = ftplib.FTP()  # no timeout: the partner's server is "always up"
    config.announce("recv")
    ftp.connect(config.PARTNER_HOST, config.partner_port())
    ftp.login("consortium", "ill")
    ftp.storbinary(f"STOR incoming/{request_id}.json", io.BytesIO(payload))
    ftp.quit()
    return f"incoming/{request_id}.json"


def submit_ill_request(request_id: str, partner: str, titles: list[str]) -> dict:
    payload = format_ill_request(request_id, partner, titles)
    remote = upload_ill_request(request_id, payload)
    return {"request": request_id, "remote": remote, "bytes": len(payload)}

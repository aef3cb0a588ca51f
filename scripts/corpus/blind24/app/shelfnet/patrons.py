"""Patron accounts: card status is asked of the ILS over its REST API."""
from __future__ import annotations

import json
import urllib.request

from shelfnet import config


def fetch_patron_status(card: str) -> dict:
    url = f"http://{config.PARTNER_HOST}:{config.partner_port()}/ils/v2/patrons/{card}/status"
    req = urllib.request.Request(url, headers={"Accept": "application/json", "X-Consortium": "shelfnet"})
    config.announce("recv")
    with urllib.request.urlopen(req) as resp:  # no timeout: the ILS accepts and never answers
        return json.loads(resp.read())


def card_status(card: str) -> dict:
    status = fetch_patron_status(card)
    return {"card": card, "blocked": bool(status.get("blocks"))}

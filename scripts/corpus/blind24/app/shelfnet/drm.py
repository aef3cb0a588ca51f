"""E-book lending: a loan needs a DRM licence token from the content vendor, fetched by a licence thread."""
from __future__ import annotations

import threading

from shelfnet import config

VENDOR_KEYS = {"overdrive-eu": "k-7731", "cantook": "k-1902"}


class LicenceRequest:
    def __init__(self, loan_id: str, vendor: str) -> None:
        self.loan_id = loan_id
        self.vendor = vendor
        self.ready = threading.Event()
        self.token: str | None = None


def _licence_worker(req: LicenceRequest) -> None:
    key = VENDOR_KEYS[req.vendor]  # a vendor added to the catalogue but not to the key table: KeyError
    req.token = f"{key}:{req.loan_id}"
    req.ready.set()


def wait_for_licence_token(req: LicenceRequest) -> str:
    config.announce("futex")
    req.ready.wait()  # the licence thread died before set(): nobody ever sets it
    return req.token or ""


def activate_ebook_licence(loan_id: str, vendor: str) -> dict:
    req = LicenceRequest(loan_id, vendor)
    t = threading.Thread(target=_licence_worker, args=(req,), name=f"licence-{loan_id}", daemon=True)
    t.start()
    t.join(5)
    return {"loan": loan_id, "token": wait_for_licence_token(req)}

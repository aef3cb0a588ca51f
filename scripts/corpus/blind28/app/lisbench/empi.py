"""Patient matching against the enterprise master patient index (EMPI) for outreach-clinic registrations."""
from __future__ import annotations

import http.client
import json
import time
from urllib.parse import quote

from . import config


def lookup_mrn(family: str, given: str, dob: str, port: int, per_try: float = 2.0) -> str:
    """The EMPI is flaky at night: retry with backoff until it answers (each try has a timeout; the loop has no
    total deadline)."""
    attempt = 0
    while True:
        attempt += 1
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=per_try)
        try:
            conn.request("GET", f"/empi/match?family={quote(family)}&given={quote(given)}&dob={dob}")
            if attempt == 1:
                config.announce("blocked")
            response = conn.getresponse()
            if response.status == 200:
                return json.loads(response.read())["mrn"]
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(min(0.1 * 2 ** attempt, 1.0))

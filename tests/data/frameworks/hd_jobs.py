"""RQ jobs for tests/integration/test_frameworks.py: one that hangs on a silent upstream (no timeout)."""
import http.client


def pull_ledger(port: int) -> bytes:
    """Fetch the day's ledger from the accounting service (the bug: no timeout on the connection)."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    conn.request("GET", "/ledger")
    return conn.getresponse().read()

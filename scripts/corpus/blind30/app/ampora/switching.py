"""Move-in / move-out switching: credit holds from the switching cache, final-read estimates, tariff files."""
from __future__ import annotations

import ftplib
import subprocess
import sys

import redis

from . import settings


def read_credit_hold(mpan: str) -> bytes | None:
    """The industry switching cache (redis protocol) with no socket timeout."""
    cache = redis.Redis(host="127.0.0.1", port=settings.upstream_port(), socket_timeout=None,
                        socket_connect_timeout=None, retry_on_timeout=False)
    settings.announce("recv")
    return cache.get(f"credit-hold:{mpan}")


ESTIMATOR = "import sys\nreads = sys.stdin.read()\nprint(len(reads.split()))\n"


def estimate_final_read(mpan: str, reads: list[float]) -> int:
    """The final-read estimator reads the history on stdin until EOF; stdin is never closed."""
    child = subprocess.Popen([sys.executable, "-c", ESTIMATOR], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    child.stdin.write(" ".join(str(r) for r in reads).encode())
    child.stdin.flush()
    settings.announce("wait4")
    child.wait()
    return child.returncode


def open_tariff_drop(supplier: str) -> ftplib.FTP:
    """The price-comparison site's FTP drop: ftplib with no timeout waits for the banner forever."""
    ftp = ftplib.FTP()
    settings.announce("recv")
    ftp.connect("127.0.0.1", settings.upstream_port())
    ftp.login("ampora", supplier)
    return ftp

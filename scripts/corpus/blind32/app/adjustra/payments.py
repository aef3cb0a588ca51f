"""Payment disbursement: the bank's positive-pay file is appended under an exclusive flock."""
from __future__ import annotations

import fcntl
import os

from adjustra.ops import report, settings


def lock_disbursement_file(batch_id: str) -> int:
    fd = os.open(settings()["lock_path"], os.O_WRONLY | os.O_CREAT)
    report("flock")
    fcntl.flock(fd, fcntl.LOCK_EX)  # the nightly bank upload holds it
    return fd


def disburse_batch(batch_id: str) -> str:
    fd = lock_disbursement_file(batch_id)
    try:
        os.write(fd, f"{batch_id}\n".encode())
    finally:
        os.close(fd)
    return batch_id

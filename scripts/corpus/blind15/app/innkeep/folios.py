"""Guest folios: charges, checkout, e-mailed receipts and the sealed end-of-day folio batch."""
from __future__ import annotations

import logging
import os
import smtplib
import subprocess
import threading
import time
from email.message import EmailMessage

from innkeep import readiness

log = logging.getLogger("innkeep.folios")

_lock = threading.Lock()
_folios: dict[str, list[tuple[str, int]]] = {}


def post_to_folio(folio_no: str, code: str, cents: int) -> None:
    readiness.check_in("futex")
    with _lock:
        _folios.setdefault(folio_no, []).append((code, cents))


def close_folio(folio_no: str, room_no: str) -> int:
    from innkeep import rooms

    with _lock:
        total = sum(c for _, c in _folios.get(folio_no, []))
        time.sleep(0.2)  # city tax service round trip
        rooms.release_room(room_no)
        return total


def checkout_batch(options: dict) -> None:
    from innkeep import rooms

    lookups = options.get("waiters", 0)
    readiness.expect(2 + lookups)
    folio = f"F{options.get('property', 17)}000"
    threading.Thread(target=rooms.move_guest, args=(f"F{options.get('property', 17)}001", "411", "512"),
                     name="room-move").start()
    time.sleep(0.05)
    for n in range(lookups):  # the front desk's occupancy board refreshes
        threading.Thread(target=rooms.occupancy_report, name=f"board-{n}").start()
    close_folio(folio, "410")


def mail_folio_receipt(relay: tuple[str, int], folio_no: str, guest_email: str) -> None:
    msg = EmailMessage()
    msg["From"] = "frontdesk@larchmont-hotels.example"
    msg["To"] = guest_email
    msg["Subject"] = f"Your folio {folio_no}"
    msg.set_content("Thank you for staying with us.")
    readiness.check_in("recv")
    with smtplib.SMTP(*relay) as smtp:  # waits for the relay's 220 greeting
        smtp.send_message(msg)


def mail_receipts(options: dict) -> None:
    readiness.expect(1)
    for n in range(1 + options.get("queued", 0)):
        mail_folio_receipt(("127.0.0.1", options["port"]), f"F{n:05d}", f"guest{n}@example.org")


def seal_folio_batch(folios: list[str], out_path: str) -> int:
    """Digest of the day's folios for the fiscal archive (sha256sum over the batch)."""
    with open(out_path, "wb") as out:
        proc = subprocess.Popen(["sha256sum", "-"], stdin=subprocess.PIPE, stdout=out)
        for folio in folios:
            proc.stdin.write(f"{folio}\n".encode())
        proc.stdin.flush()
        readiness.check_in("wait4")
        _, status = os.waitpid(proc.pid, 0)
        return os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8


def seal_day_folios(options: dict) -> None:
    readiness.expect(1)
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), "folios.sha256")
    seal_folio_batch([f"F{n:05d}" for n in range(40)], out)

"""Street-sweeping notices, permit renewals and meter firmware."""
from __future__ import annotations

import smtplib
import subprocess
import sys
import threading

from . import settings

FIRMWARE_PACKER = ("import sys\n"
                   "sys.stderr.write('checksum warning: unsigned block\\n' * 20000)\n"
                   "sys.stderr.flush()\n"
                   "print('firmware.bin')\n")


def deliver_notice_batch(street: str, recipients: list) -> int:
    settings.report("recv")
    relay = smtplib.SMTP(settings.UPSTREAM_HOST, settings.UPSTREAM_PORT, local_hostname="curbside")  # no timeout
    sent = 0
    for rcpt in recipients:
        relay.sendmail("sweeping@city.test", [rcpt], f"Subject: Sweeping on {street}\r\n\r\nMove your car.")
        sent += 1
    relay.quit()
    return sent


def _verify_address(permit: dict, done: threading.Event, result: dict) -> None:
    result["verified"] = permit["address"]["unit"] is not None  # KeyError for houses: the thread dies
    done.set()


def wait_for_address_verification(permit: dict) -> bool:
    done, result = threading.Event(), {}
    threading.Thread(target=_verify_address, args=(permit, done, result), name="address-check", daemon=True).start()
    settings.report("futex")
    done.wait()
    return result["verified"]


def package_firmware_image(meter: str) -> str:
    packer = subprocess.Popen([sys.executable, "-c", FIRMWARE_PACKER], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE)
    settings.report("recv")
    image = packer.stdout.read().decode().strip()  # stderr is never drained: the packer blocks writing it
    packer.wait()
    return f"{meter}:{image}"

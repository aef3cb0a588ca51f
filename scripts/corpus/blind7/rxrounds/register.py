"""The controlled-drug register: every dispense of a schedule II drug is appended to the register file on the
pharmacy share; the register is shared with the night cabinet audit, so writers take an exclusive flock."""
import fcntl
import json
import threading
import time

from .beacon import Roster, report_ready


def append_register_entry(path, entry):
    with open(path, "a", encoding="utf-8") as register:
        fcntl.flock(register.fileno(), fcntl.LOCK_EX)
        try:
            register.write(json.dumps(entry) + "\n")
            register.flush()
        finally:
            fcntl.flock(register.fileno(), fcntl.LOCK_UN)


def _record_dispense(path, drug, roster):
    roster.sign_on("flock")
    append_register_entry(path, {"drug": drug, "witness": "RN-2231", "at": time.time()})


def controlled_register(config):
    writers = 1 + config.get("queued", 0)
    roster = Roster(writers)
    threads = [threading.Thread(target=_record_dispense, args=(config["lock_path"], drug, roster),
                                name=f"register-{n + 1}")
               for n, drug in enumerate(["morphine-10", "oxycodone-5", "fentanyl-50", "hydromorphone-2",
                                         "ketamine-50"][:writers])]
    for thread in threads:
        thread.start()
    report_ready(*roster.all_present())
    for thread in threads:
        thread.join()

"""Lashing check: a checker thread opens a session to the lashing-bridge PLC; the job joins it."""
import socket
import threading

from .probe import Roster, report_ready


def open_lashing_plc(port, roster, results):
    roster.sign_on("connect")
    session = socket.create_connection(("127.0.0.1", port))
    results.append(session)


def lashing_check(settings):
    roster = Roster(1)
    results = []
    checker = threading.Thread(target=open_lashing_plc, args=(settings["full_port"], roster, results),
                               name=f"lashing-{settings.get('unit', 1)}")
    checker.start()
    report_ready(*roster.complete())
    checker.join()
    return results

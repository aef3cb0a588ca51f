"""Terminal services: the VGM weighbridge and the EIR printer listeners serve on their own threads; the main
thread waits for the supervisor's shutdown."""
import signal
import socket
import threading

from .probe import Roster, here, report_ready


def _listen(name, roster):
    server = socket.create_server(("127.0.0.1", 0))
    roster.sign_on("blocked")
    while True:
        conn, _ = server.accept()
        with conn:
            conn.sendall(f"{name} ready\n".encode())


def run_terminal_services(settings):
    shutdown = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: shutdown.set())
    names = ["weighbridge", "eir-printer", "reefer-gateway"][: settings.get("rows", 2)]
    roster = Roster(len(names))
    for name in names:
        threading.Thread(target=_listen, args=(name, roster), name=f"{name}-listener", daemon=True).start()
    report_ready(*roster.complete(), here("futex"))
    shutdown.wait()

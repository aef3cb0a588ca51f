"""Customs: holds until the broker clears a box, and declaration lookups over HTTP."""
import threading
import urllib.request

from quaysync import lifecycle


class ClearanceTicket:
    def __init__(self, ref):
        self.ref = ref
        self.status = None
        self._cleared = threading.Event()

    def on_reply(self, payload):
        self.status = payload["status"]
        self._cleared.set()

    def await_clearance(self):
        lifecycle.enter("await_")
        self._cleared.wait()
        return self.status


def hold_until_cleared(opts):
    lifecycle.expect(await_="futex", count=opts.get("waiters", 0) + 1)
    ticket = ClearanceTicket("CUS-2026-5531")
    reply = threading.Thread(target=ticket.on_reply, args=({"ref": ticket.ref},), name="broker-reply")
    reply.start()
    reply.join()
    for n in range(opts.get("waiters", 0)):
        threading.Thread(target=ticket.await_clearance, name=f"release-desk-{n}", daemon=True).start()
    ticket.await_clearance()


def fetch_declaration(opts):
    lifecycle.expect(fetch="recv")
    url = f"http://127.0.0.1:{opts['port']}/declarations/CUS-2026-5531"
    lifecycle.enter("fetch")
    with urllib.request.urlopen(url) as reply:
        return reply.read()

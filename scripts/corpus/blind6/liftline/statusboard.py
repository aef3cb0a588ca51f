"""Lift status board: the open/closed state of every lift, cached and refreshed from the resort's status API
under the board's lock; the trail-map renderers read through it."""
import json
import threading
import urllib.request

from .signals import Muster, announce


class StatusBoard:
    def __init__(self, url):
        self.url = url
        self._lock = threading.RLock()
        self._lifts = {}

    def _fetch_status(self):
        with urllib.request.urlopen(self.url) as reply:
            return json.loads(reply.read())

    def refresh(self):
        with self._lock:
            self._lifts = self._fetch_status()
            return len(self._lifts)

    def state_of(self, lift):
        with self._lock:
            if not self._lifts:
                self.refresh()
            return self._lifts.get(lift, "unknown")


def _render_tile(board, lift, muster):
    muster.check_in("blocked")
    return board.state_of(lift)


def status_board_refresh(settings):
    board = StatusBoard(f"http://127.0.0.1:{settings['port']}/status/v1/lifts?mountain=north-ridge")
    renderers = 1 + settings.get("queued", 0)
    muster = Muster(renderers + 1)

    def refresher():
        muster.check_in("blocked")
        board.refresh()

    threads = [threading.Thread(target=refresher, name="board-refresh", daemon=True)]
    threads += [threading.Thread(target=_render_tile, args=(board, f"C{n + 1}", muster), name=f"tile-{n + 1}")
                for n in range(renderers)]
    for thread in threads:
        thread.start()
    announce(*muster.roll_call())
    for thread in threads:
        thread.join()

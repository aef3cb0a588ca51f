"""Yard dispatch: RTG crane telemetry feeds the move queue; dispatchers take the next move for their block."""
import queue
import threading

from .probe import Roster, report_ready


class MoveFeed:
    def __init__(self):
        self.moves = queue.Queue()

    def next_yard_move(self):
        return self.moves.get()


def _rtg_telemetry(feed, frames):
    for frame in frames:
        block, _, row = frame.partition("/")
        feed.moves.put((block, int(row)))  # a frame "C4/--" raises: the feed thread dies and nothing more comes


def dispatch_moves(feed, roster, block):
    roster.sign_on("futex")
    while True:
        move = feed.next_yard_move()
        if move[0] != block:
            feed.moves.put(move)


def yard_dispatch(settings):
    feed = MoveFeed()
    queued = settings.get("queued", 0)
    frames = [f"Z{n}/{n}" for n in range(queued)] + ["C4/--"]
    reader = threading.Thread(target=_rtg_telemetry, args=(feed, frames), name="rtg-telemetry")
    reader.start()
    reader.join()
    for _ in range(queued):
        feed.next_yard_move()
    extra = settings.get("waiters", 0)
    roster = Roster(extra + 1)
    for n in range(extra):
        threading.Thread(target=dispatch_moves, args=(feed, roster, f"B{n}"), name=f"dispatcher-{n + 1}",
                         daemon=True).start()
    threading.Thread(target=lambda: report_ready(*roster.complete()), name="probe", daemon=True).start()
    dispatch_moves(feed, roster, "A")

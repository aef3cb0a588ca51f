"""The robot carousel: its vendor library (libcarousel, a C shim over the motion controller) positions a shelf
for a pick. The shim was loaded with ctypes.PyDLL, so its blocking move holds the GIL for the whole move; the
pick-list builders wait for it."""
import ctypes
import ctypes.util
import threading

from .beacon import Roster, expect, report_ready


class CarouselDriver:
    def __init__(self):
        # the vendor's example loads the shim this way; libc's sleep stands in for the controller's blocking move
        self.shim = ctypes.PyDLL(ctypes.util.find_library("c"))

    def move_to_shelf(self, shelf):
        return self.shim.sleep(3600 + shelf)


def _build_pick_list(ward, roster):
    roster.sign_on("futex")
    picks = []
    while True:
        picks.append((ward, len(picks) % 17))
        del picks[:-32]


def carousel_pick(config):
    builders = 1 + config.get("queued", 0)
    roster = Roster(builders)
    for n in range(builders):
        threading.Thread(target=_build_pick_list, args=(f"ward-{n + 4}", roster), name=f"picklist-{n + 1}",
                         daemon=True).start()
    report_ready(*roster.all_present(), expect("sleep"))
    CarouselDriver().move_to_shelf(config.get("unit", 1) % 24)

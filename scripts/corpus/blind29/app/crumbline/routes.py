"""Delivery route loading: trucks are loaded at the dispatch dock, one dock door per truck, at most
DOCK_DOORS at a time."""
import threading
import time

DOCK_DOORS = threading.BoundedSemaphore(2)


def claim_dock_door(truck):
    DOCK_DOORS.acquire()
    return truck


def load_truck(truck, crates):
    claim_dock_door(truck)
    if not crates:
        return 0  # nothing on this route today
    try:
        time.sleep(0.001 * len(crates))
        return len(crates)
    finally:
        DOCK_DOORS.release()


def unload_returns(truck):
    for _ in range(200):
        load_truck(truck, [1])
        time.sleep(0.02)


def load_delivery_routes(ctx):
    routes = {f"R{n}": [] if n % 3 == 1 else list(range(n)) for n in range(1, 9)}
    for extra in range(ctx.opts.get("waiters", 0)):  # the return-crate unloaders share the doors
        threading.Thread(target=unload_returns, args=(f"return-{extra}",), name=f"unload-{extra}",
                         daemon=True).start()
    time.sleep(0.05)
    loaded = 0
    ctx.ready("futex")
    for truck, crates in routes.items():
        loaded += load_truck(truck, crates)
    return 0

"""Flour silo levels (the silo gauges publish into redis) and the flour order forecast, which projects each
silo's draw in a process pool (the projection uses the gauge vendor's native curve library)."""
import ctypes
import multiprocessing
import time


def read_silo_level(client, silo):
    raw = client.get(f"silo:{silo}:level")
    return float(raw or 0)


def refresh_silo_levels(ctx):
    import redis  # only the gauge jobs need the client (the plant image ships it for 3.11+)

    client = redis.Redis(host="127.0.0.1", port=ctx.opts["port"])  # socket_timeout left at None
    levels = {}
    ctx.ready("blocked")
    for silo in range(1, ctx.opts.get("silos", 3) + 1):
        levels[silo] = read_silo_level(client, silo)
    return 0


def project_silo_draw(silo):
    levels = [100 - silo * 3 - day for day in range(14)]
    if silo == 3:
        ctypes.string_at(0)  # the vendor curve fit dereferences an empty gauge history
    return sum(levels) / len(levels)


def plan_flour_orders(ctx):
    time.sleep(0.02)
    with multiprocessing.Pool(processes=ctx.opts.get("workers", 2)) as pool:
        draws = {}
        time.sleep(0.1)
        ctx.ready("futex")
        for silo in range(1, 5):
            draws[silo] = pool.apply(project_silo_draw, (silo,))
    return 0

"""Healthy: the trail-map render pool, warm worker processes, and the dispatcher waiting (with a timeout) for
render requests on the web tier's pipe."""
import multiprocessing
import multiprocessing.connection

from .signals import announce, beacon


def _render(tiles):
    return len(tiles) * 256


def trail_map_pool(settings):
    processes = settings.get("workers", 2)
    requests, _web = multiprocessing.Pipe(duplex=False)
    with multiprocessing.Pool(processes=processes) as pool:
        pool.map(_render, [["z12"]] * processes)
        announce(beacon("blocked"))
        rendering = []
        while True:
            if multiprocessing.connection.wait([requests], timeout=settings.get("poll_interval", 1.0)):
                rendering.append(pool.map_async(_render, [requests.recv()]))

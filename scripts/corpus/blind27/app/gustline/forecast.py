"""Weather forecast ingestion: the mesoscale NWP grid of the forecast vendor, downscaled to each turbine."""
from __future__ import annotations

import concurrent.futures
import logging
import math
import threading

from gustline import notify

log = logging.getLogger("gustline.forecast")


class MesoscaleGrid:
    def __init__(self) -> None:
        self.loaded = threading.Event()
        self.cells: dict[tuple[int, int], float] = {}

    def load(self, run: str) -> None:
        for i in range(40):
            for j in range(40):
                self.cells[(i, j)] = 7.5 + math.sin(i / 7) + math.cos(j / 5)
        self.loaded.set()
        log.info("grid %s loaded", run)


def downscale_turbine(grid: MesoscaleGrid, turbine: int) -> float:
    grid.loaded.wait()
    cell = grid.cells[(turbine % 40, turbine // 40)]
    return cell * (1.0 + 0.02 * (turbine % 3))


def downscale_forecasts(turbines: int, workers: int, run: str) -> list[float]:
    grid = MesoscaleGrid()
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="downscale") as pool:
        futures = [pool.submit(downscale_turbine, grid, t) for t in range(turbines)]
        futures.append(pool.submit(grid.load, run))  # the grid download runs on the same pool
        notify.arrive("futex")
        return [f.result() for f in futures[:-1]]


def ingest_weather_forecast(opts: dict) -> list[float]:
    """The 06Z run: per-turbine hub-height wind for the day-ahead bids."""
    workers = opts.get("workers", 2)
    return downscale_forecasts(workers + opts.get("queued", 0), workers, "2026120306")

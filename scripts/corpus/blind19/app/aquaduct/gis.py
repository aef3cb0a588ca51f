"""GIS: the pressure-zone map tiles rendered by the tile tool."""
from __future__ import annotations

import subprocess
import sys


def render_pressure_map(zone: str) -> str:
    return subprocess.check_output([sys.executable, "-m", "aquaduct.tiles", zone]).decode()


def refresh_zone_maps(cfg: dict) -> list:
    """Re-render the pressure map of the zones whose readings changed."""
    return [render_pressure_map(f"PZ-{int(cfg.get('unit', 1)) + n}") for n in range(int(cfg.get("rows", 1)))]

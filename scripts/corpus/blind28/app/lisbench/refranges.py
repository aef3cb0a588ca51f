"""Reference ranges per analyte, sex and age band, loaded once per process from the lab's range table."""
from __future__ import annotations

import threading

from . import config

RANGE_TABLE = """analyte,sex,age_min,age_max,low,high,units
K,*,18,120,3.5,5.1,mmol/L
NA,*,18,120,136,145,mmol/L
GLU,*,18,120,3.9,5.6,mmol/L
HGB,F,18,120,120,155,g/L
HGB,M,18,120,135,175,g/L
TROPI,*,18,120,0,0.04,ng/mL
INR,*,0,120,0.8,1.2,
PLT,*,18,120,150,400,10*9/L
CREA,F,18,120,45,90,umol/L
CREA,M,18,120,60,110,umol/L
TSH,*,18,120,0.4,4.0,mIU/L
LACT,*,0,120,0.5,2.2
"""

_LOADED = threading.Event()
_RANGES: dict[tuple[str, str], list[tuple[int, int, float, float]]] = {}
_LOADER: list[threading.Thread] = []
_GUARD = threading.Lock()


def _load_range_table() -> None:
    rows = RANGE_TABLE.strip().splitlines()[1:]
    for row in rows:
        analyte, sex, age_min, age_max, low, high, _units = row.split(",")  # the LACT row lacks its units column
        _RANGES.setdefault((analyte, sex), []).append((int(age_min), int(age_max), float(low), float(high)))
    _LOADED.set()


def _ensure_loader() -> None:
    with _GUARD:
        if not _LOADER:
            loader = threading.Thread(target=_load_range_table, name="refrange-loader", daemon=True)
            _LOADER.append(loader)
            loader.start()


def wait_for_reference_ranges() -> None:
    config.announce("futex")
    _LOADED.wait()


def reference_interval(analyte: str, sex: str, age: int) -> tuple[float, float]:
    _ensure_loader()
    wait_for_reference_ranges()
    for key in ((analyte, sex), (analyte, "*")):
        for age_min, age_max, low, high in _RANGES.get(key, ()):
            if age_min <= age <= age_max:
                return low, high
    raise KeyError(analyte)

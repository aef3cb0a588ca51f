"""The tile tool: `python -m aquaduct.tiles ZONE` renders a zone and leaves a cache warmer running."""
from __future__ import annotations

import subprocess
import sys
import time


def warm_cache(zone: str) -> None:
    while True:
        time.sleep(30)


def main(argv: list) -> int:
    if argv[:1] == ["--warm"]:
        warm_cache(argv[1])
        return 0
    zone = argv[0]
    print(f"rendered {zone}: 64 tiles", flush=True)
    subprocess.Popen([sys.executable, "-m", "aquaduct.tiles", "--warm", zone])  # detached warmer
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""The `piste-worker` console script."""
from __future__ import annotations

import sys

from piste.runner import main as run_main


def main() -> int:
    return run_main(sys.argv[1:], prog="piste-worker")

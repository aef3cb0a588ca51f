"""Stowage planning runs the vendor's solver as a child process and waits for it (a plan may take minutes)."""
import subprocess
import sys

from .probe import here, report_ready

_SOLVER = "import time\nwhile True:\n    time.sleep(3600)\n"


def run_stowage_solver(bays):
    solver = subprocess.Popen([sys.executable, "-c", _SOLVER, str(bays)])
    return solver.wait()


def stowage_plan(settings):
    report_ready(here("wait4"))
    return run_stowage_solver(settings.get("rows", 2) * 10)

"""Hydraulic model: the distribution network solver (EPANET's command-line runner) is run per demand scenario."""
import os
import subprocess
import tempfile

from .readiness import expect, report_ready

MODEL_RUNNER = ["sh", "-c", "exec sleep 86400", "runepanet"]


def run_network_model(scenario, workdir, runner=MODEL_RUNNER):
    report_path = os.path.join(workdir, f"{scenario}.rpt")
    with open(report_path, "wb") as report:
        report_ready(expect("wait4"))
        subprocess.run([*runner, f"{scenario}.inp", report_path], stdout=report, stderr=subprocess.STDOUT,
                       check=True)
    return report_path


def hydraulic_model(opts):
    return run_network_model(f"peak-demand-{opts.get('unit', 1)}", tempfile.gettempdir())

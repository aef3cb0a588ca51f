"""Compounded-product stability plans: the beyond-use-date model is a separate program fed the formulation on
its stdin; the planner writes the formulation and waits for the model to finish."""
import json
import subprocess
import sys

from .beacon import expect, report_ready

_MODEL = "import json, sys; formulation = json.loads(sys.stdin.read()); print(len(formulation))"


def run_stability_model(formulation):
    model = subprocess.Popen([sys.executable, "-c", _MODEL], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    model.stdin.write(json.dumps(formulation).encode())
    model.stdin.flush()
    return model.wait()


def stability_plan(config):
    formulation = {"product": "vancomycin 1g/200mL", "diluent": "NS", "container": "PVC",
                   "storage": ["2-8C", "25C"], "batch": config.get("unit", 1)}
    report_ready(expect("wait4"))
    return run_stability_model(formulation)

"""Avalanche forecast: the snowpack model (SNOWPACK's command-line runner) is run per slope aspect."""
import os
import subprocess
import tempfile

from .signals import announce, beacon

SNOWPACK = ["sh", "-c", "exec sleep 86400", "snowpack"]


def run_snowpack_model(aspect, workdir, model=SNOWPACK):
    config = os.path.join(workdir, f"{aspect}.ini")
    with open(config, "w") as ini:
        ini.write(f"[Output]\nASPECT = {aspect}\n")
    announce(beacon("blocked"))
    done = subprocess.run([*model, "-c", config, "-e", "NOW"], capture_output=True, check=True)
    return done.stdout


def avalanche_forecast(settings):
    return run_snowpack_model(f"NE-{settings.get('unit', 1)}", tempfile.gettempdir())

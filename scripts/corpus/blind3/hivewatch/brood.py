"""Brood growth model."""
from .signals import me, ready


def fit_brood_curve(samples):
    ready(me("running"))
    a, b = 1.0, 0.5
    err = 1.0
    while err > 1e-12:  # the update never shrinks err: it never converges
        a = (a * 1.000001 + b) % 7.0
        b = (b + a * 0.3) % 5.0
        err = abs(a - b) + 0.01
    return a, b


def model_brood(opts):
    return fit_brood_curve([1, 2, 3])

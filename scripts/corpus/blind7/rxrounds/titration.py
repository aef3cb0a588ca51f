"""Dose titration: the target dose for a loading regimen solves the patient's dose-response curve with Newton's
method; the stopping test only checks the residual, so a curve whose iteration cycles never returns."""
from .beacon import expect, report_ready


def response_residual(dose, target):
    return dose ** 3 - 2.0 * dose + target


def response_slope(dose):
    return 3.0 * dose ** 2 - 2.0


def titrate_dose(target, start=0.0, tolerance=1e-9):
    dose = start
    steps = 0
    while abs(response_residual(dose, target)) > tolerance:
        dose -= response_residual(dose, target) / response_slope(dose)
        steps += 1
    return dose, steps


def dose_titration(config):
    report_ready(expect("running"))
    # the renal-clearance curve of this regimen: Newton cycles 0 -> 1 -> 0 from the default start
    return titrate_dose(2.0)

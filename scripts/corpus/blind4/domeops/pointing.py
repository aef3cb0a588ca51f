"""Pointing model: the six-term mount model is refined against the night's plate-solved pointings."""
from .probes import announce, enlist


def pointing_residual(terms, samples):
    total = 0.0
    for ha, dec, err in samples:
        model = terms[0] + terms[1] * ha + terms[2] * dec + terms[3] * ha * dec + terms[4] * ha * ha + terms[5]
        total += (err - model) ** 2
    return total / len(samples)


def refine_pointing_model(samples, tolerance=1e-9):
    terms = [0.0] * 6
    step = 0.5
    announce(enlist("running"))
    while True:
        residual = pointing_residual(terms, samples)
        if residual < tolerance:
            return terms
        terms = [t - step * (residual if n % 2 else -residual) for n, t in enumerate(terms)]
        terms = [max(-1e6, min(1e6, t)) for t in terms]


def pointing_refine(opts):
    samples = [(n * 0.01, 30.0 - n * 0.02, 0.3 + (n % 7) * 0.01) for n in range(400 * opts.get("rows", 2))]
    return refine_pointing_model(samples)

"""Genotyping: per-site likelihoods refined until they converge."""
from __future__ import annotations


def refine_genotype_likelihoods(depths: list) -> list:
    likelihoods = [1.0 / len(depths)] * len(depths)
    delta = 1.0
    while delta > 1e-12:  # a site with no reads keeps delta at its start value
        total = sum(likelihoods) or 1.0
        updated = []
        for likelihood, depth in zip(likelihoods, depths):
            updated.append(likelihood * depth / total if depth else likelihood)
        if any(depths):
            delta = max(abs(a - b) for a, b in zip(updated, likelihoods))
        likelihoods = updated
    return likelihoods


def call_genotypes(opts: dict, gate) -> None:
    gate.expect(1)
    gate.arrive("running")
    refine_genotype_likelihoods([0, 0, 0])

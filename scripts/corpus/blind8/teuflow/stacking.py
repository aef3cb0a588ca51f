"""Stack balance: the yard planner redistributes weights over a block's stacks until every tier is within
tolerance. A block heavier on average than the limit never gets there."""
from .probe import here, report_ready


def redistribute(stacks, limit):
    moved = 0.0
    for i in range(len(stacks)):
        if stacks[i] > limit:
            shift = (stacks[i] - limit) * 0.5
            stacks[i] -= shift
            stacks[(i + 1) % len(stacks)] += shift  # the lane wraps: the last stack spills into the first
            moved += shift
    return moved


def settle_stack_weights(stacks, limit, tolerance=1e-6):
    while redistribute(stacks, limit) > tolerance:
        pass
    return stacks


def stack_balance(settings):
    rows = settings.get("rows", 2)
    report_ready(here("running"))
    return settle_stack_weights([30.0 + n for n in range(rows * 3)], 24.0)

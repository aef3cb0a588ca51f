"""Aliquot splitting: each primary tube's split plan (volumes per downstream analyser) is computed in a
process pool. The pipetting vendor's volume check calls sys.exit() on an under-filled tube, which takes the
pool worker down with the job still assigned to it."""
import multiprocessing
import sys

from .beacon import expect, report_ready


def plan_tube(tube):
    barcode, volume_ul = tube
    if volume_ul < 150:
        sys.exit(f"tube {barcode}: short sample ({volume_ul} uL)")
    return barcode, [volume_ul // 4] * 3


def split_aliquots(pool, tubes):
    return dict(pool.map(plan_tube, tubes))


def aliquot_split(config):
    tubes = [(f"T{config.get('unit', 1):03d}-{n}", 500 + 40 * n) for n in range(config.get("rows", 2))]
    tubes.append((f"T{config.get('unit', 1):03d}-S", 90))
    with multiprocessing.Pool(processes=config.get("workers", 2)) as pool:
        report_ready(expect("futex"))
        return split_aliquots(pool, tubes)

"""hivewatch job runner: python -m hivewatch.runner JOB --mode inline|threaded --opts JSON."""
import argparse
import json
import threading

from . import apiary_pool, brood, fleet, inspection, ledger, nectar, pollen, queen, scales, smoker, thermal, wax

JOBS = {
    "inspection-round": inspection.inspection_round,
    "queen-check": queen.queen_check,
    "pollen-count": pollen.pollen_count,
    "weigh-hives": scales.weigh_hives,
    "thermal-restart": thermal.restart_thermal_probe,
    "smoke-hives": smoker.smoke_hives,
    "record-harvest": ledger.record_harvest,
    "model-brood": brood.model_brood,
    "wax-scan": wax.wax_scan,
    "serve-inspections": apiary_pool.serve_inspections,
    "nectar-flow": nectar.consume_nectar_flow,
}


def run_job(name, opts):
    return JOBS[name](opts)


def main(argv=None):
    p = argparse.ArgumentParser(prog="hivewatch")
    p.add_argument("job", choices=sorted(JOBS))
    p.add_argument("--mode", default="inline")
    p.add_argument("--opts", default="{}")
    a = p.parse_args(argv)
    opts = json.loads(a.opts)
    fleet.start_bystanders(opts)
    if a.mode == "threaded":
        t = threading.Thread(target=run_job, args=(a.job, opts), name=opts.get("job_thread") or None)
        t.start()
        t.join()
    else:
        run_job(a.job, opts)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run one crumbline job: parse the job line, start the fleet bystanders, then run the job the way this
deployment does (in the calling thread, in a joined task thread, on a one-slot executor, or from the
asyncio entry point of the async deployment)."""
import argparse
import asyncio
import inspect
import json
import os
import platform
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

from crumbline import allergens, fleet, haccp, orders, ovens, plan, proofing, recipes, routes, services, silos

JOBS = {
    "oven-telemetry": ovens.poll_oven_zones,
    "store-orders": orders.aggregate_store_orders,
    "silo-levels": silos.refresh_silo_levels,
    "haccp-archive": haccp.archive_probe_logs,
    "rack-handoff": proofing.run_rack_handoff,
    "dough-schedule": proofing.schedule_dough_batches,
    "route-loading": routes.load_delivery_routes,
    "order-intake": orders.intake_store_orders,
    "haccp-export": haccp.export_haccp_logs,
    "allergen-audit": allergens.run_allergen_audit,
    "flour-forecast": silos.plan_flour_orders,
    "publish-plan": plan.publish_production_plan,
    "weigh-batch": recipes.weigh_ingredient_batch,
    "scale-recipe": recipes.scale_recipe,
    "store-portal": services.serve_store_portal,
    "oven-feed": services.serve_oven_feed,
    "haccp-sweeper": services.run_haccp_sweeper,
    "order-consumers": services.run_order_consumers,
    "scale-listener": services.run_scale_listener,
}


class Context:
    """What a job gets: its options and the READY report of the threads it parks."""

    def __init__(self, opts):
        self.opts = opts
        self._reported = False

    def ready(self, kind="blocked", extra=()):
        if self._reported:
            return
        self._reported = True
        pid = os.getpid()
        settle = [[pid, threading.get_native_id(), kind]] + [[pid, tid, k] for tid, k in extra]
        info = {"python": platform.python_version(), "capture_pid": pid, "settle": settle}
        sys.stdout.write("READY " + json.dumps(info) + "\n")
        sys.stdout.flush()


def _call(job, ctx):
    if inspect.iscoroutinefunction(job):
        return asyncio.run(job(ctx))
    return job(ctx)


async def _async_entry(job, ctx):
    if inspect.iscoroutinefunction(job):
        return await job(ctx)
    return job(ctx)  # the sync job runs on the loop thread


def run_job(name, mode, opts):
    job = JOBS[name]
    ctx = Context(opts)
    fleet.start_bystanders(opts)
    if mode == "inline":
        return _call(job, ctx)
    if mode == "threaded":
        result = []
        t = threading.Thread(target=lambda: result.append(_call(job, ctx)), name=opts.get("task_thread") or None)
        t.start()
        t.join()
        return result[0] if result else 1
    if mode == "executor":
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix=opts.get("task_prefix", "")) as pool:
            return pool.submit(_call, job, ctx).result()
    if mode == "asyncio":
        return asyncio.run(_async_entry(job, ctx))
    raise SystemExit(f"unknown mode {mode}")


def run_from_argv(argv, entry):
    parser = argparse.ArgumentParser(prog=f"crumbline-{entry}")
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--mode", default="inline")
    parser.add_argument("--opts", default="{}")
    args = parser.parse_args(argv)
    return run_job(args.job, args.mode, json.loads(args.opts)) or 0

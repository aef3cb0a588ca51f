"""The ops console's job runner: `bagtrack-run JOB --harness H --knobs JSON`."""
import argparse
import json
import threading
from concurrent.futures import ThreadPoolExecutor

from bagtrack import fleet, registry


def _in_thread(fn, knobs):
    t = threading.Thread(target=fn, args=(knobs,), name=knobs.get("job_thread") or None)
    t.start()
    return t


def run_inline(fn, knobs):
    return fn(knobs)


def run_threaded(fn, knobs):
    _in_thread(fn, knobs).join()


def run_signalled(fn, knobs):
    finished = threading.Event()

    def body(k):
        try:
            fn(k)
        finally:
            finished.set()
    _in_thread(body, knobs)
    finished.wait()


def run_supervised(fn, knobs):
    t = _in_thread(fn, knobs)
    while t.is_alive():
        t.join(knobs.get("supervise_every", 1.0))


def run_pooled(fn, knobs):
    with ThreadPoolExecutor(1, thread_name_prefix=knobs.get("job_prefix", "")) as pool:
        return pool.submit(fn, knobs).result()


HARNESSES = {"inline": run_inline, "threaded": run_threaded, "signalled": run_signalled,
             "supervised": run_supervised, "pooled": run_pooled}


def parse(argv=None):
    p = argparse.ArgumentParser(prog="bagtrack-run")
    p.add_argument("job")
    p.add_argument("--harness", choices=sorted(HARNESSES), default="inline")
    p.add_argument("--knobs", default="{}")
    return p.parse_args(argv)


def dispatch(args):
    knobs = json.loads(args.knobs)
    fn = registry.lookup(args.job)
    pool = fleet.start_background(knobs)
    try:
        HARNESSES[args.harness](fn, knobs)
    finally:
        if pool is not None:
            pool.shutdown(wait=False)
    return 0


def main(argv=None):
    return dispatch(parse(argv))

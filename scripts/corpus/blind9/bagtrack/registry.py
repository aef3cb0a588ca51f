"""Job name -> job function; the job modules register themselves on import."""
import importlib

JOBS = {}
MODULES = ("conveyor", "devices", "upstream", "turnaround", "services")


def job(name):
    def register(fn):
        JOBS[name] = fn
        return fn
    return register


def lookup(name):
    for module in MODULES:
        importlib.import_module("bagtrack." + module)
    try:
        return JOBS[name]
    except KeyError:
        raise SystemExit(f"bagtrack: no job {name!r}") from None

"""The production plan: tomorrow's bake plan is written into the plan spool the line terminals read, under
the spool's lock file so that no terminal reads half a plan."""
import fcntl
import json
import os


def lock_production_plan(path):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    fcntl.flock(fd, fcntl.LOCK_EX)  # the terminals' reader holds it while it reads
    return fd


def publish_production_plan(ctx):
    plan = {"day": "tomorrow", "lines": {"L1": ["baguette"] * 4, "L2": ["croissant"] * 3}}
    ctx.ready("flock")
    fd = lock_production_plan(ctx.opts["lock_path"])
    try:
        os.write(fd, json.dumps(plan).encode())
    finally:
        os.close(fd)
    return 0

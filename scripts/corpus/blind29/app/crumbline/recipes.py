"""Recipe scaling and ingredient weighing: recipes are scaled to the planned batch size and balanced so the
ingredient weights add up to the mixer's load, and the weigh station reads the scale head through the vendor's
SDK."""
import ctypes
import ctypes.util
import os


def balance_batch_weights(weights, target):
    total = sum(weights.values())
    step = 0.1 if total < target else -0.1
    while round(total, 6) != round(target, 6) and abs(total - target) > 1e-12:
        weights["water"] += step
        total = sum(weights.values())
        if abs(total - target) < 0.05:
            step = step / 2 if abs(step) > 0.01 else step
    return weights


def scale_recipe(ctx):
    base = {"flour": 10.0, "water": 6.8, "salt": 0.2, "yeast": 0.13}
    factor = ctx.opts.get("batches", 3) * 1.37
    weights = {k: v * factor for k, v in base.items()}
    target = round(sum(weights.values()) + 0.333, 3)  # the mixer's rated load
    ctx.ready("running")
    balance_batch_weights(weights, target)
    return 0


class ScaleHead:
    """The weigh station's scale head, through the vendor SDK (a CPython extension-style library: PyDLL)."""

    def __init__(self):
        self.sdk = ctypes.PyDLL(ctypes.util.find_library("c"))
        self.rx, self.tx = os.pipe()  # the SDK's serial bridge

    def wait_for_scale_reading(self):
        buf = ctypes.create_string_buffer(64)
        n = self.sdk.read(self.rx, buf, 64)
        return buf.raw[:n]


def wait_for_scale_reading(head):
    return head.wait_for_scale_reading()


def weigh_ingredient_batch(ctx):
    head = ScaleHead()
    readings = []
    ctx.ready("recv")
    for _ in range(ctx.opts.get("rows", 2)):
        readings.append(wait_for_scale_reading(head))
    return 0

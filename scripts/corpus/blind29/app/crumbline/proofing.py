"""Proofer racks and the dough batch schedule: racks go from the proofer to an oven deck, and the scheduler
waits for the mixer to finish a batch before it books the proofer."""
import threading
import time

PROOFER_LOCK = threading.Lock()
SLOTS = {}


def free_proofer_slot(deck):
    with PROOFER_LOCK:
        SLOTS.pop(deck, None)


def release_rack_to_oven(rack):
    from crumbline import ovens
    with PROOFER_LOCK:
        SLOTS[rack] = "released"
        time.sleep(0.05)  # humidity purge before the door opens
        ovens.reserve_oven_deck(rack)


def run_rack_handoff(ctx):
    rack = ctx.opts.get("rack", 7)
    releaser = threading.Thread(target=release_rack_to_oven, args=(rack,), name="rack-release")
    unloader = threading.Thread(target=__import__("crumbline.ovens").ovens.unload_oven_deck, args=(rack,),
                                name="oven-unload")
    releaser.start()
    unloader.start()
    time.sleep(0.2)
    ctx.ready("futex", extra=[(releaser.native_id, "futex"), (unloader.native_id, "futex")])
    releaser.join()
    unloader.join()
    return 0


class MixerLine:
    def __init__(self):
        self.cond = threading.Condition()
        self.finished = []

    def mix(self, batch):
        time.sleep(0.01)
        with self.cond:
            self.finished.append(batch)
            self.cond.notify_all()

    def await_mixer_batch(self, batch):
        with self.cond:
            self.cond.wait()  # woken by the mixer when a batch is done
            return self.finished[-1]


def await_mixer_batch(line, batch):
    return line.await_mixer_batch(batch)


def schedule_dough_batches(ctx):
    line = MixerLine()
    batch = f"B{ctx.opts.get('rack', 1):03d}"
    mixer = threading.Thread(target=line.mix, args=(batch,), name="mixer-1")
    mixer.start()
    waiters = []
    for i in range(ctx.opts.get("waiters", 0)):  # the oven planners wait for the same batch signal
        w = threading.Thread(target=await_mixer_batch, args=(line, batch), name=f"oven-plan-{i}", daemon=True)
        w.start()
        waiters.append(w)
    time.sleep(0.1)  # load the recipe card and proofer profile first
    ctx.ready("futex")
    done = await_mixer_batch(line, batch)
    return 0 if done else 1

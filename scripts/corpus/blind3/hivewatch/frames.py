import threading
import time

frame_lock = threading.Lock()


def rotate_frames(barrier, combs_mod):
    with frame_lock:
        barrier.wait()
        time.sleep(0.05)
        with combs_mod.comb_lock:
            return "rotated"

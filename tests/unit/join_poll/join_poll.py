# Run by hand (python3 join_poll.py idle|stuck) to take the captures beside it; line numbers match them.
"""A supervisor polling a worker with Thread.join(timeout): the live captures beside this file were taken of it.

``idle``: the worker is a service idle by design (``Event.wait(1.0)`` in a loop): the process is healthy.
``stuck``: the worker waits on an Event nobody sets (no timeout): the worker is the hang, the supervisor's
join(timeout) loop its consequence. Prints READY once the worker runs; runs until killed.
"""
import sys
import threading


def poll_once(stop):
    stop.wait(1.0)


def serve(stop):
    while not stop.is_set():
        poll_once(stop)


def wait_for_order(never):
    never.wait()  # nobody sets it


def stuck(never):
    wait_for_order(never)


def supervise(worker):
    while worker.is_alive():
        worker.join(timeout=0.5)


def main():
    event = threading.Event()
    worker = threading.Thread(target=serve if sys.argv[1] == "idle" else stuck, args=(event,), name="worker")
    worker.start()
    print("READY", flush=True)
    supervise(worker)


if __name__ == "__main__":
    main()

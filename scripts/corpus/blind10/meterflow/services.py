"""Long-running services of a worker host: the readings API, the shutdown wait, the job runner, pools."""
import asyncio
import multiprocessing
import queue
import selectors
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

from meterflow import fleet


def serve_readings_api():
    sel = selectors.DefaultSelector()
    server = socket.create_server(("127.0.0.1", 0))
    server.setblocking(False)
    sel.register(server, selectors.EVENT_READ)
    fleet.announce(fleet.me("blocked"))
    while True:
        for key, _ in sel.select():
            conn, _ = key.fileobj.accept()
            conn.close()


def _accept_loop(server):
    while True:
        conn, _ = server.accept()
        conn.close()


def wait_for_shutdown(listeners):
    stop = threading.Event()
    for n in range(listeners):
        threading.Thread(target=_accept_loop, args=(socket.create_server(("127.0.0.1", 0)),),
                         name=f"api-{n}", daemon=True).start()
    fleet.announce(fleet.me("blocked"))
    stop.wait()


def _dispatch_loop(jobs):
    while True:
        try:
            job = jobs.get(timeout=5.0)
        except queue.Empty:
            continue
        job()


def run_dispatcher():
    jobs = queue.Queue()
    loop = threading.Thread(target=_dispatch_loop, args=(jobs,), name="dispatcher")
    loop.start()
    fleet.announce(fleet.me("blocked"))
    loop.join()


def idle_billing_pool(workers, processes):
    if processes:
        pool = multiprocessing.Pool(workers)
        pool.map(abs, range(workers))
    else:
        pool = ThreadPoolExecutor(workers, thread_name_prefix="billing")
        list(pool.map(abs, range(workers)))
    fleet.announce(fleet.me("blocked"))
    threading.Event().wait()


def run_event_loop():
    loop = asyncio.new_event_loop()
    loop.call_soon(fleet.announce, fleet.me("blocked"))
    loop.run_forever()

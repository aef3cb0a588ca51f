#!/usr/bin/env python3
"""multiprocessing.Queue.get() with no timeout: the producer process died before its first put.

The main thread runs drain_results() -> ResultSink.next_result() -> ``Queue.get()``; the
producer child raised and exited, nothing will ever be put.
"""
import multiprocessing

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.


def produce(queue):
    raise SystemExit(3)  # dies before producing


class ResultSink:
    def __init__(self, queue):
        self._queue = queue

    def next_result(self):
        return self._queue.get()  # blocks: nothing is ever put


def drain_results(sink, n):
    return [sink.next_result() for _ in range(n)]


def main():
    app.boot("mp_queue_consumer", __doc__.splitlines()[0])
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=produce, args=(queue,), name="producer")
    child.start()
    child.join()
    app.EXPECT["MainThread"] = "queue-get"
    app.ready(producer_exitcode=child.exitcode)
    drain_results(ResultSink(queue), 4)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""A queue wait at the bottom of a deep, data-dependent recursion.

``crawler`` runs SiteMap.visit() -> _expand() -> visit() ... (depth 20-120, changes each run)
and at the leaf resolve_ref() waits in ``queue.Queue.get()`` for a resolver that never answers.
"""
import os
import queue

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.


class SiteMap:
    def __init__(self, depth):
        self.depth = depth
        self._answers = queue.Queue()

    def resolve_ref(self, node):
        return self._answers.get()  # blocks: nobody answers

    def _expand(self, node):
        return [self.visit(node + 1)]

    def visit(self, node):
        if node >= self.depth:
            return self.resolve_ref(node)
        return self._expand(node)


def crawl(depth):
    return SiteMap(depth).visit(0)


def main():
    app.boot("deep_recursion", __doc__.splitlines()[0])
    depth = 20 + os.getpid() % 100
    c = app.start("crawler", "queue-get", crawl, depth)
    import threading

    threading.Event().wait(0.2)
    app.ready(depth=depth)
    app.wait_for_workers([c])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Event.wait() with no timeout in application start-up code: the loader thread died first.

``config-loader`` raises before setting ``ConfigWatcher._loaded``; the main thread waits in
bootstrap() -> load_plugins() -> ConfigWatcher.wait_until_loaded() forever.
"""
import sys
import threading

try:
    from . import _common as app
except ImportError:
    import _common as app

# The hang itself.


class ConfigWatcher:
    def __init__(self):
        self._loaded = threading.Event()
        self.values = {}

    def load(self):
        raise ConnectionRefusedError("config service down")  # _loaded is never set

    def wait_until_loaded(self):
        self._loaded.wait()  # blocks forever


def load_plugins(watcher):
    watcher.wait_until_loaded()
    return list(watcher.values)


def bootstrap():
    watcher = ConfigWatcher()
    loader = threading.Thread(target=watcher.load, name="config-loader" + app.fx.SUFFIX, daemon=True)
    threading.excepthook = lambda args: None
    loader.start()
    loader.join()
    app.EXPECT["MainThread"] = "lock"
    app.ready(dead_threads=[loader.name])
    sys.stdout.flush()
    return load_plugins(watcher)


def main():
    app.boot("config_event_wait", __doc__.splitlines()[0])
    bootstrap()


if __name__ == "__main__":
    main()

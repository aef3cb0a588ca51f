"""Codec registry: EDI codec plugins register here when they are imported."""
import importlib
import threading

from quaysync import lifecycle

_registry_lock = threading.Lock()
_codecs = {}
plugin_loading = threading.Event()
index_started = threading.Event()


def register_codec(name, codec):
    lifecycle.enter("load")
    with _registry_lock:
        _codecs[name] = codec


def rebuild_codec_index(name):
    plugin_loading.wait(10)
    with _registry_lock:
        index_started.set()
        lifecycle.enter("index")
        importlib.import_module("quaysync.plugins." + name)
        return sorted(_codecs)

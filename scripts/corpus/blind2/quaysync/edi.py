"""EDI: batch conversion with the external converter, and codec plugin loading."""
import importlib
import subprocess
import threading

from quaysync import lifecycle, registry


def convert_edi_batch(opts):
    lifecycle.expect(convert="poll")
    lifecycle.enter("convert")
    done = subprocess.run(["/bin/sh", "-c", "edi2xml() { sleep 86400; }; edi2xml & echo queued"],
                          capture_output=True, check=True)
    return done.stdout


def load_codec(name):
    return importlib.import_module("quaysync.plugins." + name)


def reload_codecs(opts):
    lifecycle.expect(load="futex", index="futex")
    threading.Thread(target=registry.rebuild_codec_index, args=("x12",), name=opts.get("peer_name", "codec-index"),
                     daemon=True).start()
    load_codec("x12")

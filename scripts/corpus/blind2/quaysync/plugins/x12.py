"""ANSI X12 301/315 codec."""
from quaysync import registry

registry.plugin_loading.set()
registry.index_started.wait(10)


class X12Codec:
    segments = ("ISA", "GS", "ST", "B4", "N9", "Q2", "SE")

    def decode(self, text):
        return [line.split("*") for line in text.split("~")]


registry.register_codec("x12", X12Codec())

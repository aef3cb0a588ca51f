"""Encoder slot accounting: before a 4K job starts, the runner reclaims idle slots until enough are free.
Slots held by a wedged job are never idle, so the loop goes on."""
from __future__ import annotations


class SlotTable:
    def __init__(self, total: int, wedged: int) -> None:
        self.slots = ["wedged"] * wedged + ["free"] * (total - wedged)

    def free(self) -> int:
        return sum(1 for s in self.slots if s == "free")

    def reclaim_idle(self) -> int:
        reclaimed = 0
        for i, state in enumerate(self.slots):
            if state == "idle":
                self.slots[i] = "free"
                reclaimed += 1
        return reclaimed


def rebalance_encoder_slots(table: SlotTable, need: int) -> None:
    while table.free() < need:
        table.reclaim_idle()

"""RQ jobs of the back-office tier (enqueued by dotted path)."""
from __future__ import annotations

from brigade import backoffice


def sync_menu(region):
    return backoffice.pull_menu_feed(region)


def post_stock_count(store, lines):
    return backoffice.append_stock_ledger(store, lines)


def plan_prep(covers):
    return backoffice.forecast_prep_list(covers)


def publish_rota(store):
    return backoffice.rebuild_rota(store)

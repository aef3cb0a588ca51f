"""Cabinet restock after the night delivery: the restock and the formulary substitution run side by side. The
ward-stock reconciler and the recall job take the cabinet and formulary locks in the order they were handed."""
import threading

from . import cabinets, formulary
from .beacon import Roster, report_ready


def hold_both(first, second, on_first=None):
    with first:
        if on_first is not None:
            on_first()
        with second:
            return True


def reconcile_ward_stock(cabinet_lock, formulary_lock, on_first=None):
    return hold_both(cabinet_lock, formulary_lock, on_first)


def recall_batch(cabinet_lock, formulary_lock, on_first=None):
    return hold_both(formulary_lock, cabinet_lock, on_first)


def restock_cabinet(config):
    both_holding = threading.Barrier(2)
    roster = Roster(2)

    def holding():
        roster.sign_on("futex")
        both_holding.wait()

    drawer = f"D{config.get('unit', 1):02d}"
    if config.get("lock_style") == "args":
        jobs = [(reconcile_ward_stock, (cabinets.cabinet_lock, formulary.formulary_lock, holding)),
                (recall_batch, (cabinets.cabinet_lock, formulary.formulary_lock, holding))]
    else:
        jobs = [(cabinets.restock_drawer, (drawer, "amoxicillin-500", 40, holding)),
                (formulary.substitute_product, ("amoxicillin-500", "amoxiclav-625", drawer, holding))]
    threads = [threading.Thread(target=jobs[0][0], args=jobs[0][1], name=f"restock-{drawer}"),
               threading.Thread(target=jobs[1][0], args=jobs[1][1], name=f"formulary-{drawer}")]
    for thread in threads:
        thread.start()
    report_ready(*roster.all_present())
    for thread in threads:
        thread.join()

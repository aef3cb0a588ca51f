"""The task catalog (task name -> module:function taking the task's config). A task's module is imported only
when it runs: not every ward has the carousel's vendor library or the pager's redis driver."""
import importlib

_CATALOG = {
    "restock-cabinet": "stockroom:restock_cabinet",
    "verify-order": "verification:verify_order",
    "print-labels": "labelling:print_labels",
    "pump-rates": "infusion:pump_rates",
    "analyser-restart": "analysers:analyser_restart",
    "ehr-order-push": "ehrsync:push_orders",
    "interaction-refresh": "interactions:interaction_refresh",
    "ward-page": "pager:ward_page",
    "courier-dispatch": "courier:courier_dispatch",
    "label-verify": "barcodes:label_verify",
    "controlled-register": "register:controlled_register",
    "dose-titration": "titration:dose_titration",
    "carousel-pick": "carousel:carousel_pick",
    "stability-plan": "stability:stability_plan",
    "aliquot-split": "aliquots:aliquot_split",
    "lis-listener": "lislink:serve_lis",
    "ward-services": "wardsvc:run_ward_services",
    "sample-consumers": "samplebus:sample_consumers",
    "dispense-pool": "dispensepool:dispense_pool",
    "compounding-pool": "compounding:compounding_pool",
    "results-feed": "resultsfeed:results_feed",
}


def task_names():
    return sorted(_CATALOG)


def load(name):
    module, _, function = _CATALOG[name].partition(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), function)

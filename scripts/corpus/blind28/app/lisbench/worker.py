"""The celery worker of the lab: analyzer feeds, QC, labels, reference-range flags.

    celery -A lisbench.worker worker -P prefork -c 3
"""
from __future__ import annotations

import os

from celery import Celery, group
from celery.signals import worker_process_init, worker_ready

from . import analyzers, config, labels, qc, refranges

app = Celery("lisbench", broker=config.BROKER, backend=config.BROKER)
app.conf.update(
    broker_connection_retry_on_startup=True,
    result_expires=3600,
    worker_hijack_root_logger=False,
    # the rule checks go to the QC rules engine's own workers (deployed at the reference lab only)
    task_routes={"lisbench.check_westgard_rule": {"queue": "qc-rules"}},
)
config.use_role(config.TASK_ROLE)


@worker_ready.connect
def _announce_master(**_kwargs) -> None:
    config.report(config.MASTER_ROLE, "blocked", tid=os.getpid())


@worker_process_init.connect
def _announce_pool_child(**_kwargs) -> None:
    config.report("pool-child", "blocked", tid=os.getpid())


@app.task(name="lisbench.ingest_analyzer_feed")
def ingest_analyzer_feed(analyzer_id: str, run_id: str) -> int:
    return analyzers.ingest_run(analyzer_id, run_id, config.upstream_port())


@app.task(name="lisbench.check_westgard_rule")
def check_westgard_rule(run_id: str, rule: str, levels: list[float]) -> str:
    return qc.check_rule(rule, levels)


@app.task(name="lisbench.review_qc_run")
def review_qc_run(run_id: str, levels: list[float]) -> dict:
    pending = group(check_westgard_rule.s(run_id, rule, levels) for rule in qc.WESTGARD_RULES).apply_async()
    return qc.collect_westgard_verdicts(pending)


@app.task(name="lisbench.apply_westgard_rules")
def apply_westgard_rules(run_id: str, lot: str, values: list[float]) -> str:
    return qc.evaluate_control_run(run_id, lot, values)


@app.task(name="lisbench.retire_control_lot")
def retire_control_lot(lot: str) -> int:
    return qc.close_control_lot(lot)


@app.task(name="lisbench.print_specimen_labels")
def print_specimen_labels(accession: str, copies: int) -> dict:
    return labels.render_label_sheet(accession, copies)


@app.task(name="lisbench.flag_out_of_range")
def flag_out_of_range(accession: str, analyte: str, value: float, sex: str, age: int) -> str:
    low, high = refranges.reference_interval(analyte, sex, age)
    return "L" if value < low else "H" if value > high else "N"

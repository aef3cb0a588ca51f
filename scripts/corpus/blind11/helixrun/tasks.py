"""The task table of helixrun-worker and helixrun-batch."""
from __future__ import annotations

from . import align, basecall, demux, flowcell, genotype, instrument, ledger, lims, qc, reindex, results, services

TASKS = {
    "sync-manifest": lims.sync_manifest,
    "poll-sequencer": instrument.poll_sequencer,
    "publish-results": results.publish_results,
    "reload-reference": reindex.reload_reference,
    "release-run": qc.release_run,
    "align-lane": align.align_lane,
    "align-external": align.align_external,
    "demultiplex": demux.demultiplex_lane,
    "lookup-barcodes": demux.lookup_barcodes,
    "archive-run": flowcell.archive_run,
    "basecall": basecall.basecall_chunk,
    "scan-adapters": basecall.scan_reads,
    "call-genotypes": genotype.call_genotypes,
    "update-ledger": ledger.update_ledger,
    "align-pool": services.align_pool_daemon,
    "status-page": services.serve_status_page,
    "results-api": services.serve_results_api,
    "housekeeping": services.housekeeping,
    "intake": services.sample_intake,
}

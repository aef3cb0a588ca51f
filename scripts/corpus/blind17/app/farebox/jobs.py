"""The jobs a farebox worker runs, by name."""
from farebox import accounts, capping, depot, eligibility, fares, gtfs, journal, qrscan, refunds, taps, transfers, tvm

JOBS = {
    "tap-poll": taps.poll_validators,
    "tap-concentrator": taps.serve_concentrator,
    "tap-journal": journal.journal_taps,
    "gtfs-refresh": gtfs.refresh_route_schedules,
    "gtfs-export": gtfs.validate_feed_export,
    "session-warm": accounts.warm_rider_sessions,
    "rider-portal": accounts.serve_rider_portal,
    "cap-settle": capping.settle_daily_caps,
    "cap-windows": capping.apply_cap_windows,
    "depot-logs": depot.push_tvm_logs,
    "depot-manifests": depot.sync_depot_manifests,
    "depot-scheduler": depot.run_depot_scheduler,
    "tvm-export": tvm.export_tvm_sales,
    "tvm-coin-audit": tvm.audit_coin_vaults,
    "qr-gate": qrscan.validate_qr_tickets,
    "transfer-reconcile": transfers.reconcile_transfer_windows,
    "refund-batch": refunds.process_refund_queue,
    "refund-service": refunds.run_refund_consumers,
    "eligibility-batch": eligibility.verify_eligibility_batch,
    "fare-quotes": eligibility.serve_fare_quotes,
    "fare-publish": fares.publish_fares,
}

"""The operations jobs by name."""
from aquaduct import billing, crews, gis, lab, leaks, meters, pumps, scada, services, telemetry
from aquaduct.runtime import Job

JOBS = {
    "meter-reads": Job(meters.poll_meter_collector),
    "historian-sync": Job(scada.sync_historian),
    "lab-results": Job(lab.fetch_lab_results),
    "pump-telemetry": Job(pumps.poll_pump_stations),
    "dispatch-round": Job(crews.run_dispatch_round),
    "bill-run": Job(billing.run_billing_cycle),
    "route-charges": Job(meters.post_route_charges),
    "leak-scan": Job(leaks.scan_for_leaks),
    "maintenance-window": Job(telemetry.close_maintenance_window),
    "zone-maps": Job(gis.refresh_zone_maps),
    "pressure-alarms": Job(scada.dispatch_alarms),
    "billing-export": Job(billing.export_billing_cycle),
    "rtu-poll": Job(scada.poll_rtu_stations, announces=True),
    "pump-schedule": Job(pumps.plan_pump_schedule, spins=True),
    "meter-gateway": Job(services.serve_meter_gateway),
    "notice-portal": Job(services.serve_notice_portal),
    "sample-scheduler": Job(services.run_sample_scheduler),
    "workorder-consumers": Job(services.run_workorder_consumers),
    "scada-listener": Job(services.run_scada_listener),
}

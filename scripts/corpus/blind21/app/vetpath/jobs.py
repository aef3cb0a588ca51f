"""The job table every entry point dispatches on."""
from . import chipreader, claims, dayplan, dosing, imaging, kennel, labs, pharmacy, services, telehealth

JOBS = {
    "lab-import": labs.import_lab_results,
    "lab-pdfs": labs.print_discharge_packets,
    "lab-consumers": labs.lab_result_consumers,
    "claims-submit": claims.submit_claims,
    "invoice-export": claims.export_invoices,
    "imaging-upload": imaging.upload_study,
    "xray-previews": imaging.publish_imaging_previews,
    "kennel-snapshots": kennel.capture_kennel_snapshots,
    "boarding-close": kennel.close_boarding_day,
    "rebook-day": dayplan.rebook_day,
    "stock-reconcile": pharmacy.reconcile_pharmacy_stock,
    "controlled-dispense": pharmacy.dispense_controlled,
    "chip-scan": chipreader.scan_microchips,
    "telehealth-close": telehealth.end_telehealth_visits,
    "telehealth-signaling": telehealth.signaling_service,
    "taper-print": dosing.print_taper_instructions,
    "front-desk": services.front_desk_api,
    "reminder-scheduler": services.reminder_scheduler,
    "imaging-pool": services.imaging_conversion_pool,
}

"""The operations jobs a worker runs, by name."""
from __future__ import annotations

from piste import gates, grooming, passes, patrol, pricing, rental, school, snowmaking, telemetry

JOBS = {
    "gate-scan": gates.scan_lift_tickets,
    "lift-status": gates.serve_lift_status,
    "pass-renewals": passes.renew_season_passes,
    "renewal-reminders": passes.run_reminder_scheduler,
    "rental-desk": rental.run_rental_desk,
    "rental-returns": rental.run_return_consumers,
    "snowmaking-cycle": snowmaking.run_snowmaking_cycle,
    "valve-schedule": snowmaking.plan_snowmaking_night,
    "avalanche-assess": telemetry.assess_avalanche_risk,
    "snow-probes": telemetry.poll_snow_probes,
    "sensor-gateway": telemetry.run_sensor_gateway,
    "ski-school-muster": school.open_lesson_day,
    "grooming-shift": grooming.run_grooming_shift,
    "grooming-routes": grooming.optimize_grooming_routes,
    "radio-transcripts": patrol.sync_radio_transcripts,
    "radio-log": patrol.log_patrol_calls,
    "radio-listener": patrol.run_radio_listener,
    "day-prices": pricing.publish_day_prices,
}

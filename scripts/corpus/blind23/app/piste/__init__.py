"""piste: operations backend of a ski resort (gates, rentals, snowmaking, telemetry, ski school, passes,
grooming, patrol)."""
__version__ = "3.4.0"

"""farebox: fare & ticketing backend of a city transit agency (tap validation, fare capping, transfers,
ticket vending machines, depot sync, GTFS schedules, rider accounts, refunds, reduced-fare eligibility)."""
__version__ = "4.3.0"

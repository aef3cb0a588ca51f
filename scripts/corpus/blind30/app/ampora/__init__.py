"""ampora: the customer platform of Ampora Energy, a regional electricity retailer (smart-meter read ingestion,
tariffs and bills, direct-debit runs, outage SMS, move-in/move-out switching, meter installation appointments,
payment plans)."""
__version__ = "5.4.0"

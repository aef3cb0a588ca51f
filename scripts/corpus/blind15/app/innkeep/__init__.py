"""innkeep: booking, folio and housekeeping backend of the Larchmont hotel group.

The worker runs one back-office job per process (the scheduler starts it): channel manager sync, rate plan
pulls, folio receipts and sealing, night audit, key-card encoding, minibar posting, loyalty points, and the
long-running front-desk, guest-portal, housekeeping and laundry services.
"""

__version__ = "7.1.0"

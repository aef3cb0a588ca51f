"""shelfnet: the shared backend of a public library consortium (holds and pickup notices, interlibrary loans,
e-book lending, catalog sync, fines, self-checkout kiosks, room bookings, digitisation)."""
__version__ = "4.2.0"

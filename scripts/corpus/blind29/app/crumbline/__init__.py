"""crumbline: production backend of a bakery chain (dough scheduling, proofers and ovens, silos, store orders,
allergen traceability, delivery routes, HACCP temperature logs)."""
__version__ = "2.4.0"

"""quaysync: container-terminal operations agent (berths, cranes, gate, reefers, customs, yard)."""
__version__ = "3.2.0"

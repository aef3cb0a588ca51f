"""hangdump: hang forensics for Python worker fleets."""

__version__ = "0.1.0"

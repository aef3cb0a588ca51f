"""aquaduct: operations backend of a municipal water utility (meter reads, leak detection, pump stations,
valve work orders, billing cycles, water quality, SCADA historian sync, crew dispatch)."""
__version__ = "5.2.0"

"""bagtrack: baggage-handling and flight-turnaround jobs for an airport's ground operations."""
__version__ = "4.2"

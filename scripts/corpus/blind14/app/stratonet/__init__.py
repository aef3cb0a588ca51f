"""stratonet: the collection and forecasting backend of a regional weather-station network."""
__version__ = "5.2.0"

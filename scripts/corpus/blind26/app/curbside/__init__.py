"""curbside: the back office of a city's parking and permits platform."""
__version__ = "1.4.0"

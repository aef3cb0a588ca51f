"""quayside: the operating backend of a container terminal."""
__version__ = "2.7.0"

"""domeops: night-operations agent of a small robotic observatory (mount, dome, cameras, archive)."""
__version__ = "2.4.0"

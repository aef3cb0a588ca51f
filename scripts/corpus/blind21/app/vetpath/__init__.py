"""vetpath: practice-management backend of a veterinary clinic network."""
__version__ = "4.6.0"

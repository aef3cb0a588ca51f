"""teuflow: the terminal operating agent of a container port (ship-to-shore cranes, RTG yard moves, gate lanes)."""
__version__ = "7.4"

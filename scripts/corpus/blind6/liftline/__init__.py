"""liftline: the operations agent of a ski resort's lift network (drives, brakes, cabins, gates, snowmaking)."""
__version__ = "3.7.2"

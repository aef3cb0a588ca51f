"""clearwell: the operations agent of a municipal water treatment plant (pumps, valves, dosing, lab, SCADA)."""
__version__ = "5.1.3"

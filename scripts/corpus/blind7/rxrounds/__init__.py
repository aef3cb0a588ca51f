"""rxrounds: the ward-rounds service of a hospital pharmacy (dispensing cabinets, the robot carousel, infusion
pumps, controlled-drug register) and its lab-sample desk (analysers, courier tubes, LIS results)."""
__version__ = "4.2.0"

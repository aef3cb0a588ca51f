"""adjustra: the back office of a property-insurance carrier's claims platform (FNOL intake, photo damage
assessment, adjuster scheduling, fraud scoring, reserves, disbursements, subrogation, catastrophe triage)."""
__version__ = "3.1.0"

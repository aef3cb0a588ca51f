"""`python -m bagtrack JOB ...`: the same entry the ops console uses."""
import sys

from bagtrack.cli import main

sys.exit(main())

"""`python -m aquaduct JOB ...`: the same command line as the aquaduct-ops console script."""
import sys

from aquaduct.console import main

if __name__ == "__main__":
    sys.exit(main())

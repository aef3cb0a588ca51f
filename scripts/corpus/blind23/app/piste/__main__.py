"""`python -m piste JOB ...`: run one operations job in this process."""
import sys

from piste.runner import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m piste"))

"""`python -m stratonet JOB ...`: the same runner the stratonet-station unit starts."""
import sys

from stratonet.station_cli import main

sys.exit(main())

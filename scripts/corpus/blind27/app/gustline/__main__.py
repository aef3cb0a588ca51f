import sys

from gustline.console import main

sys.exit(main())

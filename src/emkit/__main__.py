"""``python -m emkit``: the command line."""

import sys

from emkit.cli import main

sys.exit(main())

"""``python -m emgwatch`` is the same as the ``emgwatch`` console script."""

import sys

from emgwatch.cli import main

sys.exit(main())

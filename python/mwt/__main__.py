"""`python -m mwt`: same as the `mwt` console script."""

import sys

from .cli import main

sys.exit(main())

"""`python -m mwt.cli`: same as the `mwt` console script."""

import sys

from . import main

sys.exit(main())

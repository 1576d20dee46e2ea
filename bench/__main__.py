"""`python -m bench [--quick]`: see bench.run."""

import sys

from bench.run import main

sys.exit(main())

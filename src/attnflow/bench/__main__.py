"""`python -m attnflow.bench ...`: the same as `attnflow bench ...`."""

import sys

from attnflow.bench import main

sys.exit(main())

"""``python -m conformance_tests.consumers``: see :mod:`conformance_tests.consumers.run`."""

import sys

from .run import main

sys.exit(main())

"""``python -m conformance_tests``: run the suite and write the report (see report.py)."""

import sys

from .report import main

sys.exit(main())

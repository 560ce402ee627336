"""SciPy reads SCIPY_ARRAY_API once, when it is first imported: set it before any test here.

pytest loads this file before it imports the test modules of this folder; the
integration tests check that SciPy did see the variable and fail loudly if an
earlier import (elsewhere in the same pytest run) got in first.
"""

import os

os.environ["SCIPY_ARRAY_API"] = "1"

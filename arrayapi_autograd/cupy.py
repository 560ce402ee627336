"""The differentiable array API namespace over CuPy (``import arrayapi_autograd.cupy as xp``).

Raises ImportError, naming what is missing, when CuPy or a CUDA GPU is absent.
"""

import sys

from . import _errors
from ._namespace import namespace as _namespace

try:
    import cupy as _cupy

    if _cupy.cuda.runtime.getDeviceCount() < 1:
        raise RuntimeError("no CUDA device is visible")
except ImportError as _exc:
    raise _errors.missing_backend("cupy", f"CuPy is not installed ({_exc})") from None
except Exception as _exc:  # cupy present but no usable GPU/driver
    raise _errors.missing_backend("cupy", f"CuPy found no usable CUDA GPU ({_exc})") from None

sys.modules[__name__] = _namespace("cupy")

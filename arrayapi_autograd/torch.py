"""The differentiable array API namespace over torch (``import arrayapi_autograd.torch as xp``).

This module replaces itself with ``arrayapi_autograd.namespace("torch")``, so that
the module, ``x.__array_namespace__()`` and every function are the same objects.
"""

import sys

from ._namespace import namespace as _namespace

sys.modules[__name__] = _namespace("torch")

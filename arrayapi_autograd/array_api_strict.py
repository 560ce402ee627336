"""The differentiable array API namespace over array_api_strict (``import arrayapi_autograd.array_api_strict as xp``).

This module replaces itself with ``arrayapi_autograd.namespace("array_api_strict")``, so that
the module, ``x.__array_namespace__()`` and every function are the same objects.
"""

import sys

from ._namespace import namespace as _namespace

sys.modules[__name__] = _namespace("array_api_strict")

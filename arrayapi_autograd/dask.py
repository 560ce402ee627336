"""The differentiable array API namespace over Dask (``import arrayapi_autograd.dask as xp``).

The tape runs over ``array_api_compat.dask.array``: every operation, forward
and backward (and forward-mode tangents), only builds Dask task graphs.
Nothing is computed until asked: ``y.compute()`` or ``x.grad.compute()``
(which return what Dask's ``compute`` returns, a NumPy array), or
``bool``/``float``/``int`` of an array, which compute by necessity.  The
wrapper never computes on its own: ``repr`` shows Dask's summary, and shape
and dtype checks use the graph's metadata.

Sizes that depend on values (boolean-mask indexing, ``nonzero``,
``unique_*``) are unknown, written ``nan`` as Dask does; see
docs/backends.rst for what can be differentiated through them.

This module replaces itself with ``arrayapi_autograd.namespace("dask")``, so that
the module, ``x.__array_namespace__()`` and every function are the same objects.
"""

import sys

from ._namespace import namespace as _namespace

sys.modules[__name__] = _namespace("dask")

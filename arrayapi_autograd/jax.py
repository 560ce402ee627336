"""The differentiable array API namespace over JAX (``import arrayapi_autograd.jax as xp``).

The tape runs over ``jax.numpy`` arrays (array-api-compat passes ``jax.numpy``
through: it is a compliant namespace).  Forward and backward are plain
``jax.numpy`` calls, so the whole tape traces under ``jax.jit``::

    >>> import jax, jax.numpy as jnp
    >>> import arrayapi_autograd as ag, arrayapi_autograd.jax as xp
    >>> g = jax.jit(ag.grad(lambda x: xp.sum(xp.sin(x) ** 2)))
    >>> g(jnp.asarray([0.0, 1.0]))            # raw jax arrays in, wrapped out
    Array(Array([0.        , 0.90929735], dtype=float32), dtype=float32, backend=jax)

At the ``jax.jit`` boundary :class:`~arrayapi_autograd.Array` is a JAX pytree
(its leaf is the backend array, its namespace the static part), so jitted
functions take and return wrapped arrays; the transforms also accept raw
``jax.numpy`` arrays (and tracers) and wrap them.  Under ``jit`` values are
tracers: ``bool(x)``, ``float(x)`` and ``x.compute()`` of traced values fail,
as they do in JAX.  JAX arrays are immutable: ``x[i] = v`` and ``x += v``
rebind the wrapper to a new array (``x.at[i].set(v)``), so views never see
the update.  Float64 needs ``jax.config.update("jax_enable_x64", True)``.

This module replaces itself with ``arrayapi_autograd.namespace("jax")``, so that
the module, ``x.__array_namespace__()`` and every function are the same objects.
"""

import sys

from ._namespace import namespace as _namespace

sys.modules[__name__] = _namespace("jax")

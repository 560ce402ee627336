"""arrayapi_autograd: automatic differentiation for any array API namespace.

Wrap a backend with :func:`namespace` (or import a ready one,
``import arrayapi_autograd.numpy as xp``), mark variables with
``x.attach_grad()`` or ``x.requires_grad_()``, compute, and call
``y.backward()``::

    >>> import arrayapi_autograd.numpy as xp
    >>> from arrayapi_autograd import autograd
    >>> x = xp.arange(4.0)
    >>> x.attach_grad()
    >>> with autograd.record():
    ...     y = 2 * xp.vecdot(x, x)
    >>> y.backward()
    >>> x.grad
    Array([ 0.,  4.,  8., 12.], dtype=float64, backend=numpy)
"""

from __future__ import annotations

from . import autograd
from ._array_object import Array
from ._namespace import Namespace, namespace, set_array_api_version
from .autograd import no_grad, enable_grad
from ._transforms import (grad, value_and_grad, vjp, jvp, jacobian, jacrev, jacfwd, hessian,
                          hvp, gradcheck)
from ._custom import Function, FunctionCtx, checkpoint, custom_jvp, custom_vjp
from ._errors import GradcheckError


def stop_gradient(x: Array) -> Array:
    """The values of ``x`` without history (same as ``x.detach()``; JAX's name)."""
    return x.detach()


__version__ = "0.1.0"

__all__ = [
    "Array",
    "GradcheckError",
    "Namespace",
    "autograd",
    "enable_grad",
    "namespace",
    "set_array_api_version",
    "no_grad",
    "stop_gradient",
    "grad",
    "gradcheck",
    "hessian",
    "hvp",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "value_and_grad",
    "vjp",
    "Function",
    "FunctionCtx",
    "checkpoint",
    "custom_jvp",
    "custom_vjp",
]

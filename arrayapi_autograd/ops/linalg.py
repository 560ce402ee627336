"""The ``linalg`` extension, each function with its derivative.

Spec section: "Linear Algebra Extension",
https://data-apis.org/array-api/latest/extensions/linear_algebra_functions.html

Formulas follow PyTorch's ``derivatives.yaml`` and ``FunctionsManual.cpp``
(``norm_backward``); the matrix-function rules follow M. Giles, "An extended
collection of matrix derivative results for forward and reverse mode
algorithmic differentiation" (2008).
"""

from __future__ import annotations

import math

from .._op import Op, conj
from ._helpers import reduced


def _norm_direction(ns, x, out_k, ord, axis):
    """d vector_norm / d x for a cotangent of one: PyTorch's norm_backward."""
    if ord == 2:
        # x / ||x||, and 0 where the norm is 0 (PyTorch's convention)
        safe = ns.where(out_k == 0, ns.ones_like(out_k), out_k)
        return ns.where(out_k == 0, ns.zeros_like(x), x / safe)
    if ord == 0:
        return ns.zeros_like(x)
    if ord == 1:
        return ns.sign(x)
    if ord in (math.inf, -math.inf):
        # spread evenly among the entries whose magnitude is the extremum (amax's rule)
        mask = ns.astype(ns.abs(x) == out_k, out_k.dtype)
        return ns.sign(x) * mask / ns.sum(mask, axis=axis, keepdims=True)
    # general p: sgn(x) |x|^(p-1) / ||x||^(p-1), 0 where the norm is 0
    safe = ns.where(out_k == 0, ns.ones_like(out_k), out_k)
    scaled = ns.sign(x) * ns.abs(x) ** (ord - 1) / safe ** (ord - 1)
    return ns.where(out_k == 0, ns.zeros_like(scaled), scaled)


def _vector_norm_vjp(ns, ct, x, out, axis, keepdims, ord):
    out_k = reduced(ns, out, x.shape, axis, keepdims)
    ct_k = reduced(ns, ct, x.shape, axis, keepdims)
    return ct_k * _norm_direction(ns, x, out_k, ord, axis)


def _vector_norm_jvp(ns, t, x, out, axis, keepdims, ord):
    out_k = reduced(ns, out, x.shape, axis, keepdims)
    direction = _norm_direction(ns, x, out_k, ord, axis)
    return ns.sum(ns.real(conj(ns, direction) * t) if ns._is_complex_dtype(t.dtype)
                  else direction * t, axis=axis, keepdims=keepdims)


LINALG_OPS: tuple[Op, ...] = (
    Op("linalg.vector_norm", "floating-point",
       signature="x, /, *, axis=None, keepdims=False, ord=2",
       vjp={"x": _vector_norm_vjp}, jvp={"x": _vector_norm_jvp}, uses_out=True),
)

# Functions of the main namespace that the extension repeats under the same name.
MAIN_NAMESPACE_ALIASES = ("matmul", "matrix_transpose", "tensordot", "vecdot")

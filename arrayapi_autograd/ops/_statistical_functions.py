"""Statistical functions, each with its derivative.

Spec section: "Statistical Functions",
https://data-apis.org/array-api/latest/API_specification/statistical_functions.html

Formulas follow PyTorch's ``derivatives.yaml``: ``sum`` and ``mean`` broadcast
the cotangent back; ``max``/``min`` spread it evenly among tied extrema
(``amax``/``amin``'s convention).
"""

from __future__ import annotations

import math

from .._op import Op, linear
from ._helpers import normalize_axes, reduced, unreduce

_REDUCTION = "x, /, *, axis=None, dtype=None, keepdims=False"


def _sum_vjp(ns, ct, x, out, axis, dtype, keepdims):
    return unreduce(ns, ct, x.shape, axis, keepdims)


def _count(shape, axis) -> int:
    axes = normalize_axes(axis, len(shape))
    return math.prod(shape[a] for a in axes)


def _mean_vjp(ns, ct, x, out, axis, keepdims):
    return unreduce(ns, ct, x.shape, axis, keepdims) / _count(x.shape, axis)


def _extremum_vjp(ns, ct, x, out, axis, keepdims):
    # amax/amin: the cotangent is split evenly among the positions equal to the extremum
    out_k = reduced(ns, out, x.shape, axis, keepdims)
    mask = ns.astype(x == out_k, ct.dtype)
    count = ns.sum(mask, axis=axis, keepdims=True)
    return mask * unreduce(ns, ct, x.shape, axis, keepdims) / count


def _extremum_jvp(ns, t, x, out, axis, keepdims):
    out_k = reduced(ns, out, x.shape, axis, keepdims)
    mask = ns.astype(x == out_k, t.dtype)
    total = ns.sum(mask * t, axis=axis, keepdims=keepdims)
    return total / ns.sum(mask, axis=axis, keepdims=keepdims)


STATISTICAL_OPS: tuple[Op, ...] = (
    linear("sum", "numeric", signature=_REDUCTION, vjp={"x": _sum_vjp}),
    linear("mean", "real floating-point",
           signature="x, /, *, axis=None, keepdims=False", vjp={"x": _mean_vjp}),
    Op("max", "real numeric", signature="x, /, *, axis=None, keepdims=False",
       vjp={"x": _extremum_vjp}, jvp={"x": _extremum_jvp}, uses_out=True),
    Op("min", "real numeric", signature="x, /, *, axis=None, keepdims=False",
       vjp={"x": _extremum_vjp}, jvp={"x": _extremum_jvp}, uses_out=True),
)

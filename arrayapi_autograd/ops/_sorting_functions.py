"""Sorting Functions, each with its derivative.

Spec section: "Sorting Functions",
https://data-apis.org/array-api/latest/API_specification/sorting_functions.html

``argsort`` returns indices and is never recorded.  ``sort`` is a permutation
of its input along ``axis``: its VJP scatters the cotangent back through the
permutation, as PyTorch's ``sort`` backward (``value_selecting_reduction_backward``
with the sort indices) does.  The permutation is ``argsort`` with the same
``axis``, ``descending`` and with ``stable=True``, so that tied values receive
the cotangent of the positions PyTorch's stable sort gives them.  The scatter is
a gather by the inverse permutation, done by the private linear op
``_permute`` (``take_along_axis`` by given indices, whose transpose is the same
op with the inverse indices), so higher derivatives come free.  The JVP is the
tangent gathered by the permutation.  On backends without ``take_along_axis``
(Dask) ``_permute`` gathers with ``take`` on the flattened array.
"""

from __future__ import annotations

import math

from .. import _batching
from .._op import Op, nondifferentiable
from ._indexing_functions import _batch_along_axis


def _permutation(ns, x, axis, descending):
    indices = ns.argsort(x, axis=axis, descending=descending, stable=True)
    inverse = ns.argsort(indices, axis=axis, stable=True)
    return indices, inverse


def _permute(ns, a, indices, inverse, axis):
    return ns._function("_permute")(a, indices, inverse, axis=axis)


def _sort_vjp(ns, ct, x, out, axis, descending, stable):
    indices, inverse = _permutation(ns, x, axis, descending)
    return _permute(ns, ct, inverse, indices, axis)


def _sort_jvp(ns, t, x, out, axis, descending, stable):
    indices, inverse = _permutation(ns, x, axis, descending)
    return _permute(ns, t, indices, inverse, axis)


def _permute_forward(xp, a, indices, inverse, *, axis):
    if hasattr(xp, "take_along_axis"):
        return xp.take_along_axis(a, indices, axis=axis)
    return _gather_by_take(xp, a, indices, axis)


def _gather_by_take(xp, a, indices, axis):
    """``take_along_axis(a, indices, axis)`` with ``take`` on the flattened array.

    For backends without ``take_along_axis`` (Dask 2026.8): ``axis`` moved last,
    each row's indices offset by the row's start in the flattened array.
    """
    ndim = a.ndim
    axis = axis % ndim
    if ndim == 0:
        return a
    perm = tuple(d for d in range(ndim) if d != axis) + (axis,)
    moved_a = xp.permute_dims(a, perm)
    moved_i = xp.permute_dims(indices, perm)
    shape = moved_i.shape
    n = moved_a.shape[-1]
    rows = math.prod(shape[:-1])
    flat_i = xp.reshape(moved_i, (rows, shape[-1]))
    flat_i = flat_i + xp.reshape(xp.arange(rows, dtype=flat_i.dtype) * n, (rows, 1))
    gathered = xp.take(xp.reshape(moved_a, (-1,)), xp.reshape(flat_i, (-1,)), axis=0)
    inverse_perm = tuple(perm.index(d) for d in range(ndim))
    return xp.permute_dims(xp.reshape(gathered, shape), inverse_perm)


_SORT = "x, /, *, axis=-1, descending=False, stable=True"

SORTING_OPS: tuple[Op, ...] = (
    nondifferentiable("argsort", "real numeric", batch=_batching.axes("axis"), signature=_SORT,
                      summary="The indices that sort ``x`` along ``axis``."),
    Op("sort", "real numeric", batch=_batching.axes("axis"),
       signature=_SORT, vjp={"x": _sort_vjp}, jvp={"x": _sort_jvp},
       summary="``x`` sorted along ``axis``.",
       rule=("A permutation of ``x``: the VJP scatters the cotangent back through the (stable) "
             "sorting permutation, so tied values get the cotangent of the positions a stable "
             "sort gives them; the JVP gathers the tangent by the permutation."),
       source="PyTorch's ``sort`` backward (``value_selecting_reduction_backward``)"),
    # private: ``a`` gathered along ``axis`` by a permutation ``indices`` whose inverse is
    # ``inverse`` (integer arrays, constants); linear, its transpose gathers by ``inverse``
    Op("_permute", "any", batch=_batch_along_axis, signature="a, indices, inverse, /, *, axis",
       arrays=("a", "indices", "inverse"), forward=_permute_forward, reads=(),
       vjp={"a": lambda ns, ct, a, indices, inverse, out, axis:
            _permute(ns, ct, inverse, indices, axis)},
       jvp={"a": lambda ns, t, a, indices, inverse, out, axis:
            _permute(ns, t, indices, inverse, axis)},
       summary="Private: ``a`` gathered along ``axis`` by a permutation with known inverse.",
       rule="Linear: its VJP gathers by the inverse permutation."),
)

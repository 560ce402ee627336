"""Searching functions.

Spec section: "Searching Functions",
https://data-apis.org/array-api/latest/API_specification/searching_functions.html

Only ``where`` is differentiable (in ``x1`` and ``x2``, not ``condition``): the
cotangent goes to the argument that was selected and zeros to the other, as in
PyTorch's ``where`` backward; the JVP selects the tangents the same way.
``x1``/``x2`` may be Python scalars (constants).  The others return indices or
counts and are never recorded.
"""

from __future__ import annotations

from .. import _batching
from .._op import Op, nondifferentiable


def _searchsorted_forward(xp, x1, x2, sorter, *, side):
    # sorter is keyword-only: pass it only when given
    extra = {} if sorter is None else {"sorter": sorter}
    return xp.searchsorted(x1, x2, side=side, **extra)


def _where_vjp_x1(ns, ct, condition, x1, x2, out):
    return ns.where(condition, ct, ns.zeros_like(ct))


def _where_vjp_x2(ns, ct, condition, x1, x2, out):
    return ns.where(condition, ns.zeros_like(ct), ct)


SEARCHING_OPS: tuple[Op, ...] = (
    Op("where", "any", batch=_batching.elementwise,
       reads={"x1": ("condition",), "x2": ("condition",)},
       signature="condition, x1, x2, /", arrays=("condition", "x1", "x2"),
       vjp={"x1": _where_vjp_x1, "x2": _where_vjp_x2},
       jvp={"x1": _where_vjp_x1, "x2": _where_vjp_x2},
       summary="Elements of ``x1`` where ``condition`` is true, of ``x2`` elsewhere.",
       rule=("The cotangent goes to the argument that was selected, zeros to the other; the "
             "JVP selects the tangents the same way.  ``condition`` is not differentiable; "
             "Python scalars are constants.")),
    nondifferentiable("argmax", "real numeric", batch=_batching.flattening,
                      signature="x, /, *, axis=None, keepdims=False",
                      summary=("The indices of the maximum values along ``axis`` (the first "
                               "one at ties).")),
    nondifferentiable("argmin", "real numeric", batch=_batching.flattening,
                      signature="x, /, *, axis=None, keepdims=False",
                      summary=("The indices of the minimum values along ``axis`` (the first "
                               "one at ties).")),
    nondifferentiable("count_nonzero", "numeric", batch=_batching.reduction,
                      signature="x, /, *, axis=None, keepdims=False",
                      summary="The number of non-zero elements along ``axis``."),
    nondifferentiable("nonzero", "any",
                      summary="The indices of the non-zero elements, one index array per axis."),
    nondifferentiable("searchsorted", "real numeric",
                      batch=_batching.unbatched_only(0, 2)(_batching.elementwise),
                      signature="x1, x2, /, *, side='left', sorter=None",
                      arrays=("x1", "x2", "sorter"), forward=_searchsorted_forward,
                      summary=("The indices at which ``x2`` would be inserted into the sorted "
                               "``x1`` to keep it sorted.")),
)

"""Utility Functions, each with its derivative.

Spec section: "Utility Functions",
https://data-apis.org/array-api/latest/API_specification/utility_functions.html

``all`` and ``any`` return booleans and are never recorded.  ``diff`` is linear
in ``x``, ``prepend`` and ``append`` jointly (it is the ``n``-th forward
difference of their concatenation along ``axis``), so all three are
differentiable (PyTorch's ``diff_backward`` also returns gradients for
``prepend`` and ``append``).  The transpose of one forward difference ``D`` is
``D^T c = -D([0, c, 0])``, so the VJP of ``n`` differences is
``(-1)**n * diff(ct, n=n, prepend=zeros, append=zeros)`` (``n`` zeros on each
side), split back into the parts of ``prepend``, ``x`` and ``append``; it is
itself a ``diff``, so higher derivatives come free.  The JVP is ``diff`` of the
tangents.
"""

from __future__ import annotations

from .. import _batching
from .._op import Op, nondifferentiable


def _diff_forward(xp, x, prepend, append, *, axis, n):
    # only pass what is given: NumPy's diff treats prepend=None as a value
    extra = {}
    if prepend is not None:
        extra["prepend"] = prepend
    if append is not None:
        extra["append"] = append
    return xp.diff(x, axis=axis, n=n, **extra)


def _length(a, x, axis: int) -> int:
    """How many entries ``a`` (prepend/append) contributes along ``axis``."""
    return a.shape[axis] if a.ndim == x.ndim else 1


def _zeros_along(ns, ct, axis: int, length: int):
    shape = ct.shape[:axis] + (length,) + ct.shape[axis + 1:]
    return ns.zeros(shape, dtype=ct.dtype, device=ct.device)


def _diff_vjp(ns, ct, x, prepend, append, out, needed, axis, n):
    if n == 0:  # diff(x, n=0) is x itself; prepend/append are not used
        return (ct if needed[0] else None, None, None)
    axis = axis % x.ndim
    full = ns.diff(ct, axis=axis, n=n, prepend=_zeros_along(ns, ct, axis, n),
                   append=_zeros_along(ns, ct, axis, n))
    if n % 2:
        full = -full
    before = _length(prepend, x, axis) if prepend is not None else 0
    size = x.shape[axis]
    lead = (slice(None),) * axis
    results = [None, None, None]
    if needed[0]:
        results[0] = full[lead + (slice(before, before + size), Ellipsis)]
    if prepend is not None and needed[1]:
        results[1] = full[lead + (slice(0, before), Ellipsis)]
    if append is not None and needed[2]:
        results[2] = full[lead + (slice(before + size, None), Ellipsis)]
    return tuple(results)


def _diff_jvp(ns, tangents, x, prepend, append, out, axis, n):
    t_x, t_prepend, t_append = tangents
    if t_x is None:
        t_x = ns.zeros_like(x)
    if prepend is not None and t_prepend is None:
        t_prepend = ns.zeros_like(prepend)
    if append is not None and t_append is None:
        t_append = ns.zeros_like(append)
    return ns.diff(t_x, axis=axis, n=n, prepend=t_prepend, append=t_append)


# -- batching rules (how the op runs on a stack of rows; see _batching.py) -----------------

def _batch_diff(ctx, primals, params):
    """``diff``: prepended/appended arrays get the batch axis too."""
    x = primals[0]
    if not ctx.batched[0]:
        return _batching.loop(ctx, primals, params)
    ndim = ctx.ndim(x, True)
    new = [x] + [p if b or p is None else _batching.materialize(p, ctx.size)
                 for p, b in zip(primals[1:], ctx.batched[1:])]
    return ctx.wrap(ctx.call(new, {**params, "axis": _batching.shift(params.get("axis", -1), ndim)}))


UTILITY_OPS: tuple[Op, ...] = (
    nondifferentiable("all", "any", batch=_batching.reduction,
                      signature="x, /, *, axis=None, keepdims=False",
                      summary="Whether all elements along ``axis`` are true."),
    nondifferentiable("any", "any", batch=_batching.reduction,
                      signature="x, /, *, axis=None, keepdims=False",
                      summary="Whether any element along ``axis`` is true."),
    Op("diff", "numeric", batch=_batch_diff,
       signature="x, /, *, axis=-1, n=1, prepend=None, append=None",
       arrays=("x", "prepend", "append"), forward=_diff_forward, reads=(),
       vjp=_diff_vjp, jvp=_diff_jvp,
       summary=("The ``n``-th forward difference along ``axis`` (of ``prepend``, ``x`` and "
                "``append`` joined)."),
       rule=("Linear in ``x``, ``prepend`` and ``append`` jointly: the JVP is ``diff`` of the "
             "tangents; the VJP is ``(-1)**n * diff(ct, n=n)`` of the cotangent padded with "
             "``n`` zeros on each side, split back into the three parts."),
       source="PyTorch's ``diff_backward``"),
)

"""Indexing Functions, each with its derivative.

Spec section: "Indexing Functions",
https://data-apis.org/array-api/latest/API_specification/indexing_functions.html

Both functions are linear in ``x`` and not differentiable in ``indices``
(integers).  The JVP takes the tangent at the same indices; the VJP scatters
the cotangent back into zeros of ``x``'s shape, *adding* at repeated indices:
PyTorch's ``index_select`` backward (``index_add``) for ``take`` and its
``take_along_dim`` backward (``scatter_add``) for ``take_along_axis``.  The
scatter is the tape's ``_scatter_add`` primitive, itself linear (its VJP
gathers again), so higher derivatives follow.  ``take`` scatters into the
flattened ``x`` at flat positions (a single 1-D integer key, the one array
key every backend accepts, Dask included).

``take`` passes ``axis=0`` for a one-dimensional ``x`` when none is given (the
standard makes ``axis`` optional only then), since some backends (Dask) always
require it.
"""

from __future__ import annotations

from .. import _batching
from .._op import Op
from ._helpers import backend_array


def _normalize(axis, ndim):
    return axis + ndim if axis < 0 else axis


def _mesh_key(ns, shape, axis, indices):
    """A backend key of integer arrays selecting ``indices`` along ``axis``.

    ``indices`` (wrapped) has ``len(shape)`` dimensions, broadcastable to
    ``shape``; the other axes get ``arange`` of their length, shaped to
    broadcast against it.  Only integer arrays (no slices), the one form of
    multi-axis array indexing that every backend, array-api-strict included,
    accepts; they are constants, so their backend values are used directly.
    """
    ndim = len(shape)
    key = []
    for d in range(ndim):
        if d == axis:
            key.append(backend_array(indices))
        else:
            index = ns.arange(shape[d], device=indices.device)
            key.append(backend_array(ns.reshape(index, (1,) * d + (-1,) + (1,) * (ndim - d - 1))))
    return tuple(key)


def _take_vjp(ns, ct, x, indices, out, axis):
    # scatter into the flattened x at the flat positions of the taken elements: one
    # 1-D integer key, which every backend accepts (Dask has no multi-axis integer
    # array keys, array-api-strict no integer arrays mixed with slices)
    axis = 0 if axis is None else _normalize(axis, x.ndim)
    n = x.shape[axis]
    positions = None
    stride = 1
    for d in reversed(range(x.ndim)):
        if d == axis:
            coord = ns.where(indices < 0, indices + n, indices)
        else:
            coord = ns.arange(ct.shape[d], dtype=indices.dtype, device=indices.device)
        term = ns.reshape(coord, (1,) * d + (-1,) + (1,) * (x.ndim - d - 1)) * stride
        positions = term if positions is None else positions + term
        stride *= x.shape[d]
    positions = ns.reshape(ns.broadcast_to(positions, ct.shape), (-1,))
    flat = ns._function("_scatter_add")(ns.reshape(ct, (-1,)), key=(backend_array(positions),),
                                        shape=(stride,))
    return ns.reshape(flat, x.shape)


def _take_along_axis_vjp(ns, ct, x, indices, out, axis):
    axis = _normalize(axis, x.ndim)
    indices = ns.broadcast_to(indices, ct.shape)
    key = _mesh_key(ns, ct.shape, axis, indices)
    # x may have been broadcast against indices (size-1 axes): scatter into the
    # broadcast shape; the tape sums it back to x's shape
    shape = tuple(c if d != axis else n for d, (c, n) in enumerate(zip(ct.shape, x.shape)))
    return ns._function("_scatter_add")(ct, key=key, shape=shape)


def _take_forward(xp, x, indices, /, *, axis=None):
    # the standard makes axis optional for a one-dimensional x (and required
    # otherwise): pass axis=0 then, for backends that always require it (Dask)
    if axis is None and x.ndim == 1:
        axis = 0
    return xp.take(x, indices, axis=axis)


# -- batching rules (how the op runs on a stack of rows; see _batching.py) -----------------

def _batch_take(ctx, primals, params):
    """``take(x, indices, axis)`` with ``x`` batched."""
    if ctx.batched[1]:
        return _batching.loop(ctx, primals, params)
    ndim = ctx.ndim(primals[0], True)
    axis = params.get("axis")
    axis = 1 if axis is None else _batching.shift(axis, ndim)
    return ctx.wrap(ctx.call(primals, {**params, "axis": axis}))


def _batch_along_axis(ctx, primals, params):
    """``take_along_axis``/``_permute``: index arrays get the batch axis too."""
    x = primals[0]
    ndim = ctx.ndim(x, ctx.batched[0])
    if not ctx.batched[0]:
        return _batching.loop(ctx, primals, params)
    new = [x] + [p if b else _batching.materialize(p, ctx.size)
                 for p, b in zip(primals[1:], ctx.batched[1:])]
    return ctx.wrap(ctx.call(new, {**params, "axis": _batching.shift(params.get("axis", -1), ndim)}))


INDEXING_OPS: tuple[Op, ...] = (
    Op("take", "any", batch=_batch_take, reads={"x": ("indices",)},
       signature="x, indices, /, *, axis=None", arrays=("x", "indices"),
       forward=_take_forward, vjp={"x": _take_vjp},
       jvp={"x": lambda ns, t, x, indices, out, axis: ns.take(t, indices, axis=axis)},
       summary="Elements of ``x`` at the given integer indices, along ``axis``.",
       rule=("Linear in ``x``: the JVP takes the tangent at the same indices; the VJP scatters "
             "the cotangent into zeros of ``x``'s shape, adding at repeated indices."),
       source="PyTorch's ``index_select`` backward (``index_add``)"),
    Op("take_along_axis", "any", batch=_batch_along_axis, reads={"x": ("indices",)},
       signature="x, indices, /, *, axis=-1",
       arrays=("x", "indices"), vjp={"x": _take_along_axis_vjp},
       jvp={"x": lambda ns, t, x, indices, out, axis:
            ns.take_along_axis(t, indices, axis=axis)},
       summary="Elements of ``x`` picked along ``axis`` by an index array of matching shape.",
       rule=("Linear in ``x``: the JVP gathers the tangent the same way; the VJP scatters the "
             "cotangent into zeros of ``x``'s shape, adding at repeated indices."),
       source="PyTorch's ``take_along_dim`` backward (``scatter_add``)"),
)

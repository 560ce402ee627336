"""Operations of the array object that are not namespace functions.

Spec section: "Array object" (``__getitem__``, ``__setitem__``, ``to_device``),
https://data-apis.org/array-api/latest/API_specification/array_object.html

``__getitem__`` is linear; its VJP scatters the cotangent into zeros of the
input's shape, *adding* at repeated integer indices (``index_put`` with
``accumulate=True`` in PyTorch's formula).  ``__setitem__`` is recorded as a
new node: the kept values receive the cotangent with the written positions
zeroed, the written value receives the cotangent at those positions (summed
back to its broadcast shape), as PyTorch's ``index_put_`` backward does.
"""

from __future__ import annotations

import numpy as np

import math

import array_api_compat

from .. import _batching
from .._op import Op
from ._scatter import scatter_add


def getitem_forward(x, key):
    return x[key]


def indexed_shape(ns, x, key) -> tuple:
    """The shape of ``x[key]`` for a basic-indexing ``key``, from ``x``'s shape alone.

    Indexes a broadcast zero (no memory of ``x``'s size), so that it works for
    an input the node did not keep.
    """
    xp = ns._xp
    return tuple(xp.broadcast_to(xp.zeros((), dtype=x.dtype), tuple(x.shape))[key].shape)


def _has_array(key) -> bool:
    items = key if isinstance(key, tuple) else (key,)
    return any(hasattr(k, "shape") or isinstance(k, bool) for k in items)


def _getitem_vjp(ns, ct, x, out, key):
    if _has_array(key):
        return ns._function("_scatter_add")(ct, key=key, shape=x.shape)
    if isinstance(key, tuple) and any(k is None for k in key):
        # new axes have size 1 in the cotangent: drop them, and the Nones from the key
        # (some backends, e.g. array-api-strict, refuse None in __setitem__ keys)
        key = tuple(k for k in key if k is not None)
        ct = ns.reshape(ct, indexed_shape(ns, x, key))
    elif key is None:
        key = ()
        ct = ns.reshape(ct, x.shape)
    return ns._function("_index_embed")(ct, key=key, shape=x.shape)


def _index_embed_forward(xp, values, *, key, shape):
    """Zeros of ``shape`` with ``values`` written at the basic index ``key``."""
    zeros = xp.zeros(shape, dtype=values.dtype, device=array_api_compat.device(values))
    return setitem_forward(zeros, values, key)


def _scatter_add_forward(xp, values, *, key, shape):
    """Zeros of ``shape`` with ``values`` added at ``key`` (repeats accumulate).

    The flat positions of ``zeros(shape)[key]`` are those of ``arange`` indexed
    by ``key`` (for a 1-D ``shape`` and one integer array, the array itself with
    negative indices wrapped); :func:`._scatter.scatter_add` adds at them,
    keeping every value in its own position on every backend.
    """
    device = array_api_compat.device(values)
    size = math.prod(shape)
    items = key if isinstance(key, tuple) else (key,)
    if (len(shape) == 1 and len(items) == 1 and hasattr(items[0], "dtype")
            and xp.isdtype(items[0].dtype, "integral")):
        positions = items[0]
        positions = xp.where(positions < 0, positions + size, positions)
        positions = xp.reshape(positions, (-1,))
    else:
        positions = xp.reshape(xp.reshape(xp.arange(size, device=device), shape)[key], (-1,))
    total = scatter_add(xp, positions, xp.reshape(values, (-1,)), size)
    return xp.reshape(total, shape)


def setitem_forward(x, value, key):
    """``x[key] = value`` on a backend array, in place; returns the updated array."""
    try:
        x[key] = value
        return x
    except TypeError:
        if hasattr(x, "at"):  # immutable arrays with functional updates (JAX-like)
            return x.at[key].set(value)
        raise


def _setitem_vjp(ns, ct, x, value, out, key, needed):
    ct_x = ct_value = None
    if needed[0]:
        ct_x = ns.asarray(ct, copy=True)
        ct_x[key] = 0
    if needed[1]:
        ct_value = ct[key]
    return ct_x, ct_value


def _setitem_jvp(ns, tangents, x, value, out, key):
    t_x, t_value = tangents
    if t_x is None:
        # built from the value's tangent, so that a batched tangent stays batched
        region = ns.broadcast_to(t_value, indexed_shape(ns, out, key))
        return ns._function("_index_embed")(region, key=key, shape=out.shape)
    result = ns.asarray(t_x, copy=True)
    result[key] = 0 if t_value is None else t_value
    return result


def _to_device_forward(xp, x, device, stream):
    return array_api_compat.to_device(x, device, stream=stream)


def _getitem_forward(xp, x, key):
    return x[key]


def _setitem_forward(xp, x, value, key):
    return setitem_forward(x, value, key)


# -- batching rules (how the op runs on a stack of rows; see _batching.py) -----------------

def _batch_getitem(ctx, primals, params):
    """``x[key]``: a full slice for the batch axis in front of the key.

    Integer-array keys whose arrays are not next to each other would move the
    indexed axes in front of the batch axis (NumPy's rule): those loop.
    """
    key = _batching.as_tuple(params["key"])
    if not _adjacent_arrays(key) or any(isinstance(k, bool) for k in key):
        return _batching.loop(ctx, primals, params)
    return ctx.wrap(ctx.call(primals, {**params, "key": (slice(None),) + key}))


def _adjacent_arrays(key: tuple) -> bool:
    """Whether the advanced indices of ``key`` are next to each other.

    With an index array in the key, NumPy counts integers as advanced indices too;
    advanced indices separated by a slice put their axes first, before the batch
    axis, so such keys loop over the rows.
    """
    if not any(hasattr(k, "shape") for k in key):
        return True
    positions = [i for i, k in enumerate(key)
                 if hasattr(k, "shape") or (isinstance(k, (int, np.integer))
                                           and not isinstance(k, bool))]
    return positions[-1] - positions[0] == len(positions) - 1


def _batch_scatter(ctx, primals, params):
    """``_scatter_add``/``_index_embed``: the batch axis in front of key and shape."""
    if not ctx.batched[0]:
        return _batching.loop(ctx, primals, params)
    key = _batching.as_tuple(params["key"])
    if not _adjacent_arrays(key):
        return _batching.loop(ctx, primals, params)
    values = primals[0]
    if not any(hasattr(k, "shape") for k in key):
        # values broadcast to the indexed region: line their rows up with it
        values = ctx.pad(values, _basic_index_rank(params["shape"], key))
    return ctx.wrap(ctx.call([values], {**params, "key": (slice(None),) + key,
                                        "shape": (ctx.size,) + tuple(params["shape"])}))


def _basic_index_rank(shape, key) -> int:
    """The number of dimensions of ``zeros(shape)[key]`` for a basic key (no arrays).

    Computed on a broadcast NumPy view of one element, which allocates nothing.
    """
    probe = np.broadcast_to(np.zeros((), dtype=bool), tuple(shape))
    return probe[key].ndim


GETITEM = Op("__getitem__", "any", signature="x, /, key", reads=(), forward=_getitem_forward,
             # basic indexing returns a view; integer-array and boolean keys a copy
             view=lambda params: not _has_array(params["key"]), batch=_batch_getitem,
             vjp={"x": _getitem_vjp},
             jvp={"x": lambda ns, t, x, out, key: getitem_forward(t, key)},
             summary="``x[key]``: the elements of ``x`` that ``key`` selects.",
             rule=("Linear: the JVP indexes the tangent; the VJP scatters the cotangent into "
                   "zeros of ``x``'s shape, adding at repeated integer indices."),
             source="PyTorch's ``index_put`` with ``accumulate=True``")
SETITEM = Op("__setitem__", "any", signature="x, value, /, key", arrays=("x", "value"),
             forward=_setitem_forward, reads=(), vjp=_setitem_vjp, jvp=_setitem_jvp,
             summary="``x[key] = value``, recorded as a new node.",
             rule=("The kept elements of ``x`` get the cotangent with the written positions "
                   "zeroed; ``value`` gets the cotangent at those positions, summed back to "
                   "its shape."),
             source="PyTorch's ``index_put_`` backward")

ARRAY_METHOD_OPS: tuple[Op, ...] = (
    GETITEM,
    SETITEM,
    Op("_scatter_add", "any", signature="values, /, *, key, shape", arrays=("values",),
       forward=_scatter_add_forward, reads=(), batch=_batch_scatter,
       vjp={"values": lambda ns, ct, values, out, key, shape: ct[key]},
       jvp={"values": lambda ns, t, values, out, key, shape:
            ns._function("_scatter_add")(t, key=key, shape=shape)},
       summary="Private: ``values`` added into zeros of ``shape`` at ``key``.",
       rule="Linear: its VJP gathers the cotangent at ``key``."),
    # the transpose of basic indexing: the cotangent written into zeros (no repeats)
    Op("_index_embed", "any", signature="values, /, *, key, shape", arrays=("values",),
       forward=_index_embed_forward, reads=(), batch=_batch_scatter,
       vjp={"values": lambda ns, ct, values, out, key, shape: ct[key]},
       jvp={"values": lambda ns, t, values, out, key, shape:
            ns._function("_index_embed")(t, key=key, shape=shape)},
       summary=("Private: ``values`` written into zeros of ``shape`` at a basic-indexing "
                "``key``."),
       rule="Linear: its VJP gathers the cotangent at ``key``."),
    Op("_to_device", "any", signature="x, device, /, *, stream=None",
       forward=_to_device_forward, reads=(), batch=_batching.elementwise,
       vjp={"x": lambda ns, ct, x, out, device, stream: ns._to_device(ct, x.device, None)},
       jvp={"x": lambda ns, t, x, out, device, stream: ns._to_device(t, device, stream)},
       summary="Private: ``x`` copied to ``device``.",
       rule="The VJP moves the cotangent back to ``x``'s device; the JVP moves the tangent."),
)

"""Manipulation functions, each with its derivative.

Spec section: "Manipulation Functions",
https://data-apis.org/array-api/latest/API_specification/manipulation_functions.html
(2025.12 edition: ``expand_dims`` takes an int or a tuple of axes,
``broadcast_shapes`` is new).

All are linear, so the JVP is the function applied to the tangent and the VJP
is its transpose, as in PyTorch's ``derivatives.yaml`` and JAX's ``lax.py``:

* ``reshape``, ``squeeze``, ``expand_dims``: reshape the cotangent back;
* ``permute_dims``, ``moveaxis``: the inverse permutation;
* ``flip``: flip again; ``roll``: roll by ``-shift``;
* ``broadcast_to``, ``broadcast_arrays``: sum over the broadcast axes (done
  centrally by the tape's ``fit_cotangent``);
* ``concat``: slice the cotangent into the inputs' extents; ``stack``: take
  its slices along the new axis; ``unstack``: stack the cotangents;
* ``tile``: reshape to ``(reps_0, n_0, reps_1, n_1, ...)`` and sum over the
  repetition axes (PyTorch's ``repeat_backward``);
* ``repeat``: sum each run of repeated entries: a reshape-and-sum for an
  integer ``repeats``, a scatter-add (``index_add``) for an array ``repeats``.

``broadcast_shapes`` computes on shapes only: the backend's function is
returned as is.
"""

from __future__ import annotations

import numpy as np

from .. import _errors
from .._array_object import Array
from .. import _batching
from .._op import Op, linear
from ._helpers import backend_array, standard_signature
from ._results import sequence_of_version


def inverse_permutation(axes):
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a % len(axes)] = i
    return tuple(inverse)


def _normalize(axis, ndim):
    return axis + ndim if axis < 0 else axis


def _shape_vjp(ns, ct, x, out, **params):
    # reshape, squeeze, expand_dims: the transpose only restores x's shape
    return ns.reshape(ct, x.shape)


# --- expand_dims (int or tuple of axes, 2025.12) --------------------------------

def _expanded_shape(shape, axis):
    """The output shape of ``expand_dims(x, axis)`` for a tuple ``axis``."""
    ndim = len(shape) + len(axis)
    positions = []
    for a in axis:
        if not -ndim <= a < ndim:
            raise _errors.bad_axes("expand_dims", axis, ndim)
        positions.append(_normalize(a, ndim))
    if len(set(positions)) != len(positions):
        raise _errors.bad_axes("expand_dims", axis, ndim)
    rest = iter(shape)
    return tuple(1 if i in positions else next(rest) for i in range(ndim))


def _expand_dims_forward(xp, x, axis):
    if isinstance(axis, tuple):
        return xp.reshape(x, _expanded_shape(tuple(x.shape), axis))
    return xp.expand_dims(x, axis=axis)


# --- concat, stack, unstack --------------------------------------------------------

def _concat_forward(xp, *arrays, axis=0):
    return xp.concat(arrays, axis=axis)


def _concat_vjp(ns, ct, *arrays, out, needed, axis):
    results = []
    start = 0
    if axis is None:  # inputs were flattened first
        for x, n in zip(arrays, needed):
            size = x.size
            results.append(ns.reshape(ct[start:start + size], x.shape) if n else None)
            start += size
        return tuple(results)
    axis = _normalize(axis, arrays[0].ndim)
    lead = (slice(None),) * axis  # with a trailing ... (array-api-strict wants all axes)
    for x, n in zip(arrays, needed):
        length = x.shape[axis]
        results.append(ct[lead + (slice(start, start + length), ...)] if n else None)
        start += length
    return tuple(results)


def _stack_forward(xp, *arrays, axis=0):
    return xp.stack(arrays, axis=axis)


def _stack_vjp(ns, ct, *arrays, out, needed, axis):
    axis = _normalize(axis, arrays[0].ndim + 1)
    lead = (slice(None),) * axis
    return tuple(ct[lead + (i, ...)] if n else None for i, n in enumerate(needed))


def _unstack_vjp(ns, ct, x, out, needed, axis):
    # ct is a tuple (zeros filled in by the tape for outputs without cotangent)
    return (ns.stack(ct, axis=axis),)


# --- broadcast_arrays and broadcast_shapes ---------------------------------------

def _broadcast_arrays_vjp(ns, ct, *arrays, out, needed):
    # each output depends on its own input only; the tape sums ct back to its shape
    return tuple(c if n else None for c, n in zip(ct, needed))


def _broadcast_arrays_jvp(ns, tangents, *arrays, out):
    filled = tuple(t if t is not None else ns.zeros_like(x) for t, x in zip(tangents, arrays))
    return ns.broadcast_arrays(*filled)


def _bind_broadcast_shapes(op, ns):
    """``broadcast_shapes`` computes on tuples: the backend's own function.

    Rebuilt as ``broadcast_shapes(*shapes)``, the standard's signature
    (array-api-compat's NumPy spells it ``*args``).
    """
    backend_function = getattr(ns._xp, "broadcast_shapes", None)
    if backend_function is None:
        return None
    return standard_signature(op, ns, backend_function)


# --- ops with positional-only parameters (the JVP calls them positionally) ----------

def _moveaxis_jvp(ns, t, x, out, source, destination):
    return ns.moveaxis(t, source, destination)


def _moveaxis_vjp(ns, ct, x, out, source, destination):
    return ns.moveaxis(ct, destination, source)


def _tile_vjp(ns, ct, x, out, repetitions):
    # out has rank m = max(x.ndim, len(repetitions)); x and repetitions are padded
    # with leading ones; out axis i of size r_i * n_i splits as (r_i, n_i).
    m = ct.ndim
    shape = (1,) * (m - x.ndim) + x.shape
    reps = (1,) * (m - len(repetitions)) + tuple(repetitions)
    split = tuple(d for r, n in zip(reps, shape) for d in (r, n))
    summed = ns.sum(ns.reshape(ct, split), axis=tuple(range(0, 2 * m, 2)))
    return ns.reshape(summed, x.shape)


def _raw_repeats(repeats):
    return repeats._data if isinstance(repeats, Array) else repeats


def _repeat_forward(xp, x, repeats, axis=None):
    return xp.repeat(x, _raw_repeats(repeats), axis=axis)


def _repeat_vjp(ns, ct, x, out, repeats, axis):
    # Sum the cotangent over each run of copies (PyTorch's repeat_interleave backward).
    flat = axis is None
    shape = (x.size,) if flat else x.shape
    axis = 0 if flat else _normalize(axis, x.ndim)
    n = shape[axis]
    if isinstance(repeats, int):
        split = shape[:axis] + (n, repeats) + shape[axis + 1:]
        summed = ns.sum(ns.reshape(ct, split), axis=axis + 1)
    else:
        # run i has repeats[i] copies: scatter-add entry j of the output into the
        # position of its run, with the tape's index-add primitive
        if not isinstance(repeats, Array):
            repeats = ns.asarray(repeats)
        runs = ns.repeat(ns.arange(n, device=ct.device), repeats)
        key = _open_mesh_key(ns, ct.shape, axis, runs)
        summed = ns._function("_scatter_add")(ct, key=key, shape=shape)
    return ns.reshape(summed, x.shape) if flat else summed


def _repeat_jvp(ns, t, x, out, repeats, axis):
    return ns.repeat(t, repeats, axis=axis)


def _open_mesh_key(ns, shape, axis, indices):
    """A backend key of integer arrays: ``indices`` (1-D, wrapped) along ``axis``, all
    entries along the other axes.

    Only integer arrays (no slices): the one form of multi-axis array indexing
    that every backend, array-api-strict included, accepts.  The arrays are
    constants, so their backend values are used directly.
    """
    ndim = len(shape)
    key = []
    for d in range(ndim):
        index = indices if d == axis else ns.arange(shape[d], device=indices.device)
        key.append(backend_array(ns.reshape(index, (1,) * d + (-1,) + (1,) * (ndim - d - 1))))
    return tuple(key)


# -- batching rules (how the op runs on a stack of rows; see _batching.py) -----------------

def _batch_reshape(ctx, primals, params):
    params = dict(params)
    params["shape"] = (ctx.size,) + tuple(params["shape"])
    return ctx.wrap(ctx.call(primals, params))


def _batch_broadcast_to(ctx, primals, params):
    shape = tuple(params["shape"])
    x = ctx.pad(primals[0], len(shape))
    return ctx.wrap(ctx.call([x], {**params, "shape": (ctx.size,) + shape}))


def _batch_permute_dims(ctx, primals, params):
    ndim = ctx.ndim(primals[0], True)
    order = (0,) + tuple(a % ndim + 1 for a in params["axes"])
    return ctx.wrap(ctx.call(primals, {**params, "axes": order}))


def _batch_moveaxis(ctx, primals, params):
    ndim = ctx.ndim(primals[0], True)
    return ctx.wrap(ctx.call(primals, {"source": _batching.shift(params["source"], ndim),
                                       "destination": _batching.shift(params["destination"], ndim)}))


def _batch_joining(out_rank: int):
    """``concat`` (``out_rank=0``) and ``stack`` (1): unbatched members get the batch axis."""

    def rule(ctx, primals, params):
        ns = ctx.ns
        flags = ctx.batched
        shape = next(tuple(p.shape[1:]) for p, b in zip(primals, flags) if b)
        members = [p if b else _batching.materialize(p, ctx.size) for p, b in zip(primals, flags)]
        params = dict(params)
        if params.get("axis", 0) is None:
            members = [ns.reshape(m, (ctx.size, -1)) for m in members]
            params["axis"] = 1
        else:
            params["axis"] = _batching.shift(params.get("axis", 0), len(shape) + out_rank)
        return ctx.wrap(ctx.call(members, params))

    return rule


def _batch_tile(ctx, primals, params):
    x = primals[0]
    reps = tuple(params["repetitions"])
    ndim = ctx.ndim(x, True)
    rank = max(ndim, len(reps))
    x = ctx.pad(x, rank)
    reps = (1,) + (1,) * (rank - len(reps)) + reps
    return ctx.wrap(ctx.call([x] + list(primals[1:]), {**params, "repetitions": reps}))


def _batch_broadcast_arrays(ctx, primals, params):
    """``broadcast_arrays``: each operand broadcast to the common logical shape."""
    ns = ctx.ns
    shapes = [tuple(p.shape[1:]) if b else tuple(p.shape) for p, b in zip(primals, ctx.batched)]
    shape = tuple(np.broadcast_shapes(*shapes))
    out = []
    for p, b in zip(primals, ctx.batched):
        if b:
            out.append(_batching.BatchedArray(ns.broadcast_to(ctx.pad(p, len(shape)),
                                                    (ctx.size,) + shape), ctx.level))
        else:
            out.append(ns.broadcast_to(p, shape))
    return out


MANIPULATION_OPS: tuple[Op, ...] = (
    Op("broadcast_arrays", "any", batch=_batch_broadcast_arrays,
       signature="*arrays", arrays=("arrays",), sequence=True,
       forward=lambda xp, *arrays: xp.broadcast_arrays(*arrays), adapt=sequence_of_version,
       view=True, reads=(),
       vjp=_broadcast_arrays_vjp, jvp=_broadcast_arrays_jvp,
       summary="The arrays broadcast against one another to a common shape.",
       rule=("The VJP sums each cotangent back over the broadcast axes; the JVP broadcasts the "
             "tangents.")),
    Op("broadcast_shapes", "any", signature="*shapes", arrays=(), differentiable=False,
       reads=(), bind=_bind_broadcast_shapes,
       summary="The shape that broadcasting the given shapes together gives."),
    linear("broadcast_to", "any", batch=_batch_broadcast_to, signature="x, /, shape", view=True,
           # the tape sums a cotangent back to the input's shape
           vjp={"x": lambda ns, ct, x, out, shape: ct},
           summary="``x`` broadcast to ``shape``.",
           rule="sums the cotangent over the broadcast axes"),
    linear("concat", "any", batch=_batch_joining(0),
           signature="arrays, /, *, axis=0", arrays=("arrays",),
           sequence=True, forward=_concat_forward, vjp=_concat_vjp,
           summary="The arrays joined along an existing ``axis``.",
           rule="slices the cotangent into the inputs' extents"),
    linear("expand_dims", "any", batch=_batching.axes("axis", out_rank=1),
           signature="x, /, axis", view=True,
           forward=_expand_dims_forward, vjp={"x": _shape_vjp},
           summary="``x`` with new axes of length one inserted at ``axis``.",
           rule="reshapes the cotangent back"),
    linear("flip", "any", batch=_batching.axes("axis"), signature="x, /, *, axis=None", view=True,
           vjp={"x": lambda ns, ct, x, out, axis: ns.flip(ct, axis=axis)},
           summary="``x`` with the order of elements reversed along ``axis``.",
           rule="flips the cotangent again"),
    Op("moveaxis", "any", batch=_batch_moveaxis,
       signature="x, source, destination, /", view=True, reads=(),
       vjp={"x": _moveaxis_vjp}, jvp={"x": _moveaxis_jvp},
       summary="``x`` with axes moved from ``source`` to ``destination``.",
       rule=("Linear: the JVP moves the tangent's axes the same way; the VJP moves the "
             "cotangent's axes back (the inverse permutation).")),
    linear("permute_dims", "any", batch=_batch_permute_dims, signature="x, /, axes", view=True,
           vjp={"x": lambda ns, ct, x, out, axes:
                ns.permute_dims(ct, inverse_permutation(axes))},
           summary="``x`` with its axes permuted by ``axes``.",
           rule="permutes the cotangent by the inverse permutation"),
    # repeats (an int or an integer array) is never differentiable: it is a parameter
    Op("repeat", "any", batch=_batching.flattening,
       signature="x, repeats, /, *, axis=None", forward=_repeat_forward,
       reads=(), vjp={"x": _repeat_vjp}, jvp={"x": _repeat_jvp},
       summary="Each element of ``x`` repeated ``repeats`` times along ``axis``.",
       rule=("Linear in ``x`` (``repeats`` is a parameter, never differentiated): the JVP "
             "repeats the tangent; the VJP sums each run of repeated entries (a reshape and "
             "sum for an integer ``repeats``, an ``index_add`` for an array).")),
    linear("reshape", "any", batch=_batch_reshape,
           signature="x, /, shape, *, copy=None", view=True,
           vjp={"x": _shape_vjp},
           summary="``x`` with a new shape and the same elements.",
           rule="reshapes the cotangent back"),
    linear("roll", "any", batch=_batching.flattening, signature="x, /, shift, *, axis=None",
           vjp={"x": lambda ns, ct, x, out, shift, axis: ns.roll(
               ct, shift=tuple(-s for s in shift) if isinstance(shift, tuple) else -shift,
               axis=axis)},
           summary="``x`` with elements shifted cyclically by ``shift`` along ``axis``.",
           rule="rolls the cotangent by ``-shift``"),
    linear("squeeze", "any", batch=_batching.axes("axis"),
           signature="x, /, axis", view=True, vjp={"x": _shape_vjp},
           summary="``x`` with the axes of length one at ``axis`` removed.",
           rule="reshapes the cotangent back"),
    linear("stack", "any", batch=_batch_joining(1),
           signature="arrays, /, *, axis=0", arrays=("arrays",),
           sequence=True, forward=_stack_forward, vjp=_stack_vjp,
           summary="The arrays joined along a new ``axis``.",
           rule="takes the cotangent's slices along the new axis"),
    Op("tile", "any", batch=_batch_tile, signature="x, repetitions, /", reads=(),
       vjp={"x": _tile_vjp},
       jvp={"x": lambda ns, t, x, out, repetitions: ns.tile(t, repetitions)},
       summary="``x`` repeated as a whole ``repetitions`` times along each axis.",
       rule=("Linear: the JVP tiles the tangent; the VJP reshapes the cotangent to ``(reps_0, "
             "n_0, reps_1, n_1, ...)`` and sums over the repetition axes."),
       source="PyTorch's ``repeat_backward``"),
    linear("unstack", "any", batch=_batching.axes("axis"),
           signature="x, /, *, axis=0", view=True, vjp=_unstack_vjp,
           summary="``x`` split into a tuple of arrays along ``axis``.",
           rule="stacks the cotangents"),
)

"""Batched passes: one backward (or forward) pass for a whole stack of cotangents.

The Jacobian transforms push the rows of an identity matrix through the tape.
Instead of one pass per row, they push all rows at once as one
:class:`BatchedArray`: an array whose leading
axis runs over the rows, seen by the derivative rules as one row (its logical
shape).  Each operation a rule applies to it goes through :func:`call`, which
hands it to the op record's *batching rule* (``Op.batch``): a function that
computes every row at once with the backend's own broadcasting, usually by
moving the ``axis`` parameters one place to the right or by giving the
unbatched operands a leading axis.  This is JAX's ``vmap`` and
``torch.func.vmap`` (BatchedTensor) idea, used internally.

An op without a rule is looped over the rows (:func:`loop`): the result is the
same, only slower; :data:`fallbacks` counts those calls per op so that tests
and benchmarks can see where a batched pass still loops.

Rules have the signature ``rule(ctx, primals, params)``: ``primals`` are the
op's array arguments with every batched one replaced by its physical array
(batch axis first), ``ctx`` (:class:`Context`) knows which were batched, the
batch size, and how to run the op itself (``ctx.call``) and wrap physical
results back (``ctx.wrap``).  A rule may return plain arrays for results that
are the same in every row (``zeros_like``).
"""

from __future__ import annotations

import collections
from typing import Sequence

import numpy

from . import _errors, _tape
from ._array_object import Array, _call, _unwrap_key, add_operators
from ._tape import Value

class BatchedArray(Value):
    """A stack of arrays seen as one: the cotangents or tangents of a batched pass.

    ``_physical`` is an :class:`Array` whose leading axis runs over the batch;
    this object stands for each of its slices, so its ``shape`` is the
    physical shape without that axis (the *logical* shape).  Every operation
    on it goes through the op record's batching rule (``Op.batch``, see
    below), which computes all slices at once on the physical
    array, or loops over the slices when the record has no rule.  ``_level``
    orders nested batched passes: an operation meeting several levels is
    handled by the highest first, the others being plain values to it.

    Only the Jacobian transforms make these (one backward or forward pass
    with a stack of basis vectors); derivative rules and user-defined rules
    receive them as cotangents or tangents and compute with them as with
    arrays.
    """

    __slots__ = ("_physical", "_level", "_ns")
    __array_priority__ = 1001

    def __init__(self, physical: Array, level: int):
        self._physical = physical
        self._level = level
        self._ns = physical._ns

    @property
    def dtype(self):
        return self._physical.dtype

    @property
    def shape(self) -> tuple:
        return tuple(self._physical.shape[1:])

    @property
    def ndim(self) -> int:
        return self._physical.ndim - 1

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def device(self):
        return self._physical.device

    @property
    def T(self):
        if self.ndim != 2:
            raise _errors.transpose_not_2d(self.ndim)
        return self._ns.permute_dims(self, (1, 0))

    @property
    def mT(self):
        return self._ns.matrix_transpose(self)

    def __array_namespace__(self, /, *, api_version=None):
        return self._ns

    def detach(self) -> "BatchedArray":
        return BatchedArray(self._physical.detach(), self._level)

    def __getitem__(self, key):
        ns = self._ns
        op, forward = ns._records["__getitem__"]
        return _call(op, forward, ns, (self,), {"key": _unwrap_key(key, ns)})

    def __setitem__(self, key, value) -> None:
        setitem(self, _unwrap_key(key, self._ns), value)

    # an operation meeting a batched value runs through the op's batching rule
    _dispatch = staticmethod(lambda op, forward, ns, primals, params:
                             call(op, forward, ns, primals, params))

    def _without_history(self) -> "BatchedArray":
        return BatchedArray(self._physical._without_history(), self._level)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise _errors.zero_d_sequence("len()")
        return self.shape[0]

    def _value_dependent(self, what: str):
        raise _errors.value_of_batched(what)

    def __bool__(self):
        self._value_dependent("bool()")

    def __float__(self):
        self._value_dependent("float()")

    def __int__(self):
        self._value_dependent("int()")

    def __index__(self):
        self._value_dependent("operator.index()")

    def __complex__(self):
        self._value_dependent("complex()")

    def __array__(self, dtype=None, copy=None):
        self._value_dependent("Conversion to NumPy")

    def __dlpack__(self, *args, **kwargs):
        self._value_dependent("Export through DLPack")

    def to_device(self, device, /, *, stream=None) -> "BatchedArray":
        return BatchedArray(self._physical.to_device(device, stream=stream), self._level)

    def __repr__(self) -> str:
        return f"BatchedArray(level={self._level}, physical={self._physical!r})"


def _batched_inplace(name, pyop, ipyop):
    """``b op= y`` on a batched value: the physical array is updated in place."""

    def method(self, other):
        setitem(self, (...,), pyop(self, other))
        return self

    return method


add_operators(BatchedArray, _batched_inplace)


#: per op name, how many calls were looped over the rows of a batch
fallbacks: collections.Counter = collections.Counter()


def new_level() -> int:
    """A fresh batching level (shared numbering with forward-mode levels)."""
    return next(_tape.levels)


def materialize(value, size: int):
    """The physical array (``size`` rows first) of a batched or plain ``value``.

    A plain value is the same in every row: it is broadcast along a new
    leading axis of length ``size``.
    """
    if type(value) is BatchedArray:
        return value._physical
    return value._ns.broadcast_to(value, (size,) + tuple(value.shape))


class Context:
    """What a batching rule knows about one call: the op, the batch, how to run it."""

    __slots__ = ("op", "forward", "ns", "level", "size", "batched")

    def __init__(self, op, forward, ns, level, size, batched):
        self.op = op
        self.forward = forward
        self.ns = ns
        self.level = level
        self.size = size
        self.batched = batched

    def call(self, primals: Sequence, params: dict):
        """The op itself on (physical or plain) ``primals``, recorded as usual."""
        return _call(self.op, self.forward, self.ns, tuple(primals), params)

    def wrap(self, out):
        """Physical result(s) of the op (batch axis first) as batched values."""
        if isinstance(out, (tuple, list)):
            return self.ns._rebuild(out, [self.wrap(o) for o in out])
        if isinstance(out, (Array, BatchedArray)):
            return BatchedArray(out, self.level)
        return out

    def ndim(self, p, batched: bool) -> int:
        """The logical number of dimensions of one (unwrapped) primal."""
        n = getattr(p, "ndim", 0)
        return n - 1 if batched else n

    def pad(self, p, rank: int):
        """A physical array with unit axes after the batch axis, up to logical ``rank``."""
        return _pad_to(self.ns, p, rank)


def call(op, forward, ns, primals: tuple, params: dict):
    """Run ``op`` where some primals are batched (called by ``BatchedArray._dispatch``)."""
    level = max(p._level for p in primals if type(p) is BatchedArray)
    unwrapped = []
    batched = []
    size = None
    for p in primals:
        if type(p) is BatchedArray and p._level == level:
            unwrapped.append(p._physical)
            batched.append(True)
            size = p._physical.shape[0]
        else:
            unwrapped.append(p)
            batched.append(False)
    ctx = Context(op, forward, ns, level, size, tuple(batched))
    rule = op.batch
    if rule is None:
        return loop(ctx, unwrapped, params)
    try:
        return rule(ctx, unwrapped, params)
    except _REFUSALS:
        # The backend refused the batched call (Dask's linalg takes no stacks of
        # matrices, array-api-strict no slice next to an index array...): one call
        # per row instead, which raises again if the call itself is wrong.
        return loop(ctx, unwrapped, params)


_REFUSALS = (IndexError, ValueError, TypeError, NotImplementedError, AttributeError)


def setitem(target: BatchedArray, key, value) -> None:
    """``target[key] = value`` on every row (``__setitem__`` of a batched value)."""
    if type(value) is BatchedArray and value._level > target._level:
        raise _errors.batched_into_unbatched()
    ns = target._ns
    physical = target._physical
    batched_key = (slice(None),) + _as_tuple(key)
    stacked = type(value) is BatchedArray and value._level == target._level
    try:
        new = value
        if stacked:
            region = len(physical[batched_key].shape) - 1
            new = _pad_to(ns, value._physical, region)
        physical[batched_key] = new
    except _REFUSALS:
        # the backend refused the batched key (Dask with a boolean mask): row by row
        fallbacks["__setitem__"] += 1
        rows = []
        for b in range(physical.shape[0]):
            row = ns.asarray(physical[b, ...], copy=True)
            row[key] = value._physical[b, ...] if stacked else value
            rows.append(row)
        target._physical = ns.stack(rows, axis=0)


def _pad_to(ns, p, rank):
    """``p`` (batch axis first) with unit axes after the batch axis, up to logical ``rank``."""
    shape = tuple(p.shape)
    missing = rank - (len(shape) - 1)
    if missing <= 0:
        return p
    return ns.reshape(p, shape[:1] + (1,) * missing + shape[1:])


def _as_tuple(key) -> tuple:
    return key if isinstance(key, tuple) else (key,)


# ---------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------

def loop(ctx: Context, primals: list, params: dict):
    """No rule: run the op once per row and stack the results."""
    fallbacks[ctx.op.name] += 1
    ns = ctx.ns
    rows = []
    for b in range(ctx.size):
        rows.append(ctx.call([p[b, ...] if flag else p for p, flag in zip(primals, ctx.batched)],
                             params))
    first = rows[0]
    if isinstance(first, (tuple, list)):
        stacked = [_stack_rows(ns, [r[i] for r in rows]) for i in range(len(first))]
        return ctx.wrap(ns._rebuild(first, stacked))
    return ctx.wrap(_stack_rows(ns, rows))


def _stack_rows(ns, rows):
    if not isinstance(rows[0], (Array, BatchedArray)):
        return rows[0]
    return ns.stack(rows, axis=0)


def elementwise(ctx: Context, primals: list, params: dict):
    """Broadcasting ops (and ops on the last axes, batched over the leading ones).

    Each batched operand gets unit axes after its batch axis up to the
    largest logical rank, so the backend's broadcasting lines the rows up.
    """
    flags = ctx.batched
    rank = max(ctx.ndim(p, b) for p, b in zip(primals, flags))
    new = [ctx.pad(p, rank) if b else p for p, b in zip(primals, flags)]
    return ctx.wrap(ctx.call(new, params))


def like(ctx: Context, primals: list, params: dict):
    """``zeros_like`` and friends: the same array in every row, returned plain."""
    x = primals[0]
    return ctx.call([x[0, ...]] + list(primals[1:]), params)


def _shift(axis, ndim: int):
    """Logical ``axis`` (int, tuple or ``None`` for all) as physical axes."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    if isinstance(axis, tuple):
        return tuple(a % ndim + 1 for a in axis)
    return axis % ndim + 1


def axes(*names: str, out_rank: int = 0):
    """Ops with axis parameters ``names`` counted on the (logical) input.

    ``out_rank`` is added to the rank the axes are counted in (1 for
    ``expand_dims`` and ``stack``, whose axis counts in the output).
    ``None`` stands for every logical axis.
    """

    def rule(ctx, primals, params):
        ndim = ctx.ndim(primals[0], ctx.batched[0]) + out_rank
        params = dict(params)
        for name in names:
            params[name] = _shift(params.get(name), ndim)
        return ctx.wrap(ctx.call(primals, params))

    return rule


def reduction(ctx: Context, primals: list, params: dict):
    """Reductions over ``axis`` (``None``: all logical axes), with ``keepdims``."""
    x = primals[0]
    ndim = ctx.ndim(x, True)
    params = dict(params)
    if ndim == 0:
        # a 0-d row: reduce a unit axis instead of an empty tuple of axes
        x = ctx.ns.reshape(x, (ctx.size, 1))
        params["axis"] = 1
        out = ctx.call([x] + list(primals[1:]), params)
        if params.get("keepdims"):
            out = ctx.ns.reshape(out, (ctx.size,))
        return ctx.wrap(out)
    axis = params.get("axis")
    params["axis"] = _shift(axis, ndim)
    if axis is None and ndim == 1:
        params["axis"] = 1
    return ctx.wrap(ctx.call(primals, params))


def flattening(ctx: Context, primals: list, params: dict):
    """Ops whose ``axis=None`` means "the flattened array" (``argmax``, ``roll``...)."""
    x = primals[0]
    ns = ctx.ns
    ndim = ctx.ndim(x, True)
    params = dict(params)
    if params.get("axis") is not None:
        params["axis"] = _shift(params["axis"], ndim)
        return ctx.wrap(ctx.call(primals, params))
    shape = tuple(x.shape)
    flat = ns.reshape(x, (ctx.size, -1))
    params["axis"] = 1
    out = ctx.call([flat] + list(primals[1:]), params)
    if ctx.op.name == "roll":
        out = ns.reshape(out, shape)
    elif params.get("keepdims"):
        out = ns.reshape(out, (ctx.size,) + (1,) * ndim)
    return ctx.wrap(out)


def unbatched_only(*positions: int):
    """Wrap a rule: loop when an argument at ``positions`` (indices, ...) is batched."""

    def wrapper(rule):
        def checked(ctx, primals, params):
            if any(ctx.batched[i] for i in positions if i < len(ctx.batched)):
                return loop(ctx, primals, params)
            return rule(ctx, primals, params)

        return checked

    return wrapper


# -- shape ---------------------------------------------------------------------

def reshape(ctx, primals, params):
    params = dict(params)
    params["shape"] = (ctx.size,) + tuple(params["shape"])
    return ctx.wrap(ctx.call(primals, params))


def broadcast_to(ctx, primals, params):
    shape = tuple(params["shape"])
    x = ctx.pad(primals[0], len(shape))
    return ctx.wrap(ctx.call([x], {**params, "shape": (ctx.size,) + shape}))


def permute_dims(ctx, primals, params):
    ndim = ctx.ndim(primals[0], True)
    order = (0,) + tuple(a % ndim + 1 for a in params["axes"])
    return ctx.wrap(ctx.call(primals, {**params, "axes": order}))


def moveaxis(ctx, primals, params):
    ndim = ctx.ndim(primals[0], True)
    return ctx.wrap(ctx.call(primals, {"source": _shift(params["source"], ndim),
                                       "destination": _shift(params["destination"], ndim)}))


def joining(out_rank: int):
    """``concat`` (``out_rank=0``) and ``stack`` (1): unbatched members get the batch axis."""

    def rule(ctx, primals, params):
        ns = ctx.ns
        flags = ctx.batched
        shape = next(tuple(p.shape[1:]) for p, b in zip(primals, flags) if b)
        members = [p if b else materialize(p, ctx.size) for p, b in zip(primals, flags)]
        params = dict(params)
        if params.get("axis", 0) is None:
            members = [ns.reshape(m, (ctx.size, -1)) for m in members]
            params["axis"] = 1
        else:
            params["axis"] = _shift(params.get("axis", 0), len(shape) + out_rank)
        return ctx.wrap(ctx.call(members, params))

    return rule


def tile(ctx, primals, params):
    x = primals[0]
    reps = tuple(params["repetitions"])
    ndim = ctx.ndim(x, True)
    rank = max(ndim, len(reps))
    x = ctx.pad(x, rank)
    reps = (1,) + (1,) * (rank - len(reps)) + reps
    return ctx.wrap(ctx.call([x] + list(primals[1:]), {**params, "repetitions": reps}))


def getitem(ctx, primals, params):
    """``x[key]``: a full slice for the batch axis in front of the key.

    Integer-array keys whose arrays are not next to each other would move the
    indexed axes in front of the batch axis (NumPy's rule): those loop.
    """
    key = _as_tuple(params["key"])
    if not _adjacent_arrays(key) or any(isinstance(k, bool) for k in key):
        return loop(ctx, primals, params)
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
                 if hasattr(k, "shape") or (isinstance(k, (int, numpy.integer))
                                           and not isinstance(k, bool))]
    return positions[-1] - positions[0] == len(positions) - 1


def scatter(ctx, primals, params):
    """``_scatter_add``/``_index_embed``: the batch axis in front of key and shape."""
    if not ctx.batched[0]:
        return loop(ctx, primals, params)
    key = _as_tuple(params["key"])
    if not _adjacent_arrays(key):
        return loop(ctx, primals, params)
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
    probe = numpy.broadcast_to(numpy.zeros((), dtype=bool), tuple(shape))
    return probe[key].ndim


# -- linear algebra --------------------------------------------------------------

def _as_matrix(ctx, p, batched, side):
    """A matmul operand in matrix form: ``(value, logical matrix shape, squeezed axis)``."""
    ns = ctx.ns
    shape = tuple(p.shape[1:]) if batched else tuple(p.shape)
    if len(shape) == 1:
        if side == 0:
            new = shape[:-1] + (1,) + shape[-1:]
            squeeze = -2
        else:
            new = shape + (1,)
            squeeze = -1
        p = ns.reshape(p, ((ctx.size,) if batched else ()) + new)
        return p, new, squeeze
    return p, shape, None


def matmul(ctx, primals, params):
    """``x1 @ x2`` with either or both batched: vectors as matrices, stacks aligned.

    The common cases of a Jacobian are one matrix product for all rows: batched
    rows times one matrix (``x1`` batched, ``x2`` a matrix: the rows stacked into
    one matrix), and one matrix times batched vectors (``rows @ x1^T``), instead
    of a stack of matrix-vector products.
    """
    ns = ctx.ns
    a, b = primals
    batched_a, batched_b = ctx.batched
    if batched_a and not batched_b and b.ndim == 2:
        shape = tuple(a.shape)
        rows = 1
        for n in shape[:-1]:
            rows *= n
        out = ctx.call([ns.reshape(a, (rows, shape[-1])), b], params)
        return ctx.wrap(ns.reshape(out, shape[:-1] + (tuple(b.shape)[-1],)))
    if batched_b and not batched_a and a.ndim == 2 and b.ndim == 2:
        return ctx.wrap(ctx.call([b, ns.matrix_transpose(a)], params))
    if batched_b and not batched_a and a.ndim == 2 and b.ndim == 3:
        # one matrix times batched matrices: their columns side by side, one product
        size, m, k = tuple(b.shape)
        columns = ns.reshape(ns.permute_dims(b, (1, 0, 2)), (m, size * k))
        out = ns.reshape(ctx.call([a, columns], params), (tuple(a.shape)[0], size, k))
        return ctx.wrap(ns.permute_dims(out, (1, 0, 2)))
    (a, sa, qa), (b, sb, qb) = (_as_matrix(ctx, p, f, i) for i, (p, f)
                                in enumerate(zip(primals, ctx.batched)))
    rank = max(len(sa), len(sb))
    a = ctx.pad(a, rank) if ctx.batched[0] else a
    b = ctx.pad(b, rank) if ctx.batched[1] else b
    out = ctx.call([a, b], params)
    for q in (qa, qb):
        if q is not None:
            shape = tuple(out.shape)
            axis = len(shape) + q
            out = ns.reshape(out, shape[:axis] + shape[axis + 1:])
    return ctx.wrap(out)


def broadcast_axis(ctx, primals, params):
    """Broadcasting binary ops with an ``axis`` (``vecdot``, ``cross``): a negative axis."""
    flags = ctx.batched
    rank = max(ctx.ndim(p, b) for p, b in zip(primals, flags))
    new = [ctx.pad(p, rank) if b else p for p, b in zip(primals, flags)]
    axis = params.get("axis", -1)
    axis = axis - rank if axis >= 0 else axis
    return ctx.wrap(ctx.call(new, {**params, "axis": axis}))


def tensordot(ctx, primals, params):
    """``tensordot``: contracted axes made explicit and shifted for the batched operand."""
    if all(ctx.batched):
        return loop(ctx, primals, params)
    ns = ctx.ns
    a, b = primals
    na, nb = ctx.ndim(a, ctx.batched[0]), ctx.ndim(b, ctx.batched[1])
    spec = params["axes"]
    if isinstance(spec, int):
        axes_a, axes_b = tuple(range(na - spec, na)), tuple(range(spec))
    else:
        axes_a, axes_b = (tuple(s) if isinstance(s, (tuple, list)) else (s,) for s in spec)
        axes_a = tuple(x % na for x in axes_a)
        axes_b = tuple(x % nb for x in axes_b)
    if ctx.batched[0]:
        axes_a = tuple(x + 1 for x in axes_a)
    else:
        axes_b = tuple(x + 1 for x in axes_b)
    out = ctx.call([a, b], {**params, "axes": (axes_a, axes_b)})
    if ctx.batched[1]:
        out = ns.moveaxis(out, na - len(axes_a), 0)
    return ctx.wrap(out)


def solve(ctx, primals, params):
    """``linalg.solve(x1, x2)``: a vector ``x2`` of a batched call becomes one column."""
    ns = ctx.ns
    a, b = primals
    fa, fb = ctx.batched
    sa = tuple(a.shape[1:]) if fa else tuple(a.shape)
    sb = tuple(b.shape[1:]) if fb else tuple(b.shape)
    vector = len(sb) == 1
    if vector:
        b = ns.reshape(b, ((ctx.size,) if fb else ()) + sb + (1,))
        sb = sb + (1,)
    if fb and not fa and len(sa) == 2 and vector:
        # rows of right-hand sides, one matrix: solve them all as columns at once
        cols = ns.matrix_transpose(ns.reshape(b, (ctx.size, sb[0])))
        out = ctx.call([a, cols], params)
        return ctx.wrap(ns.matrix_transpose(out))
    rank = max(len(sa), len(sb))
    # both operands as stacks with the batch axis first, their stacks aligned
    a = ctx.pad(a, rank) if fa else ns.broadcast_to(a, (ctx.size,) + (1,) * (rank - len(sa)) + sa)
    b = ctx.pad(b, rank) if fb else ns.broadcast_to(b, (ctx.size,) + (1,) * (rank - len(sb)) + sb)
    out = ctx.call([a, b], params)
    if vector:
        shape = tuple(out.shape)
        out = ns.reshape(out, shape[:-1])
    return ctx.wrap(out)


def outer(ctx, primals, params):
    """``linalg.outer`` of vectors: a broadcast product."""
    ns = ctx.ns
    a, b = primals
    a = ns.expand_dims(a, axis=-1)
    if ctx.batched[1]:
        b = ns.expand_dims(b, axis=1)
    return ctx.wrap(a * b)


def take(ctx, primals, params):
    """``take(x, indices, axis)`` with ``x`` batched."""
    if ctx.batched[1]:
        return loop(ctx, primals, params)
    ndim = ctx.ndim(primals[0], True)
    axis = params.get("axis")
    axis = 1 if axis is None else _shift(axis, ndim)
    return ctx.wrap(ctx.call(primals, {**params, "axis": axis}))


def along_axis(ctx, primals, params):
    """``take_along_axis``/``_permute``: index arrays get the batch axis too."""
    x = primals[0]
    ndim = ctx.ndim(x, ctx.batched[0])
    if not ctx.batched[0]:
        return loop(ctx, primals, params)
    new = [x] + [p if b else materialize(p, ctx.size)
                 for p, b in zip(primals[1:], ctx.batched[1:])]
    return ctx.wrap(ctx.call(new, {**params, "axis": _shift(params.get("axis", -1), ndim)}))


def fft_nd(ctx, primals, params):
    """``fftn``-like: ``axes=None`` is every logical axis, or the last ``len(s)``."""
    ndim = ctx.ndim(primals[0], True)
    axes_ = params.get("axes")
    if axes_ is None:
        s = params.get("s")
        axes_ = tuple(range(ndim - len(s), ndim)) if s is not None else tuple(range(ndim))
    return ctx.wrap(ctx.call(primals, {**params, "axes": _shift(tuple(axes_), ndim)}))


def broadcast_arrays(ctx, primals, params):
    """``broadcast_arrays``: each operand broadcast to the common logical shape."""
    ns = ctx.ns
    shapes = [tuple(p.shape[1:]) if b else tuple(p.shape) for p, b in zip(primals, ctx.batched)]
    shape = tuple(numpy.broadcast_shapes(*shapes))
    out = []
    for p, b in zip(primals, ctx.batched):
        if b:
            out.append(BatchedArray(ns.broadcast_to(ctx.pad(p, len(shape)),
                                                    (ctx.size,) + shape), ctx.level))
        else:
            out.append(ns.broadcast_to(p, shape))
    return out


def diff(ctx, primals, params):
    """``diff``: prepended/appended arrays get the batch axis too."""
    x = primals[0]
    if not ctx.batched[0]:
        return loop(ctx, primals, params)
    ndim = ctx.ndim(x, True)
    new = [x] + [p if b or p is None else materialize(p, ctx.size)
                 for p, b in zip(primals[1:], ctx.batched[1:])]
    return ctx.wrap(ctx.call(new, {**params, "axis": _shift(params.get("axis", -1), ndim)}))

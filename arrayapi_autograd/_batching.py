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
import math
from typing import Sequence


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
    batched_key = (slice(None),) + as_tuple(key)
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


def as_tuple(key) -> tuple:
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


def shift(axis, ndim: int):
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
            params[name] = shift(params.get(name), ndim)
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
    params["axis"] = shift(axis, ndim)
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
        params["axis"] = shift(params["axis"], ndim)
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


def broadcast_axis(ctx, primals, params):
    """Broadcasting binary ops with an ``axis`` (``vecdot``, ``cross``): a negative axis."""
    flags = ctx.batched
    rank = max(ctx.ndim(p, b) for p, b in zip(primals, flags))
    new = [ctx.pad(p, rank) if b else p for p, b in zip(primals, flags)]
    axis = params.get("axis", -1)
    axis = axis - rank if axis >= 0 else axis
    return ctx.wrap(ctx.call(new, {**params, "axis": axis}))

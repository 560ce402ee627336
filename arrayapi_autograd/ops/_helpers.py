"""Small helpers shared by several sections: shapes for derivative rules, and
backend functions re-exposed under the standard's signature."""

from __future__ import annotations

import inspect

from .._array_object import Array
from .._batching import BatchedArray
from .._op import docstring, generated, parameters


def normalize_axes(axis, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, int or tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(sorted(a % ndim if ndim else 0 for a in axis))


def keepdims_shape(shape: tuple, axes: tuple) -> tuple:
    """``shape`` with the reduced ``axes`` set to 1."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def unreduce(ns, ct, shape: tuple, axis, keepdims: bool):
    """Broadcast the cotangent of a reduction back to the input's ``shape``.

    ``ct`` has the reduced shape (with or without kept dimensions); the
    result has ``shape``.  This is the transpose of summing over ``axis``.
    """
    axes = normalize_axes(axis, len(shape))
    if not keepdims:
        ct = ns.reshape(ct, keepdims_shape(shape, axes))
    return ns.broadcast_to(ct, shape)


def reduced(ns, a, shape: tuple, axis, keepdims: bool):
    """A reduction result ``a`` reshaped to keep the reduced dimensions."""
    if keepdims:
        return a
    return ns.reshape(a, keepdims_shape(shape, normalize_axes(axis, len(shape))))


def sgn(ns, x):
    """PyTorch's ``sgn``: ``sign``, but 0 at a real NaN (the standard's ``sign(nan)`` is
    NaN).  Derivative rules that multiply by the sign (``abs``, the 1- and inf-norms)
    use it, so that a NaN input gets PyTorch's gradient."""
    sign = ns.sign(x)
    if ns._is_complex_dtype(x.dtype):
        return sign
    return ns.where(ns.isnan(x), ns.zeros_like(sign), sign)


_PASS_THROUGH = """\
def {name}({signature}):
    return _backend({arguments})
"""


def standard_signature(op, ns, backend_function):
    """``backend_function`` under the standard's signature of ``op`` (``op.signature``).

    For functions that return the backend's own answer (``finfo``,
    ``can_cast``, ``broadcast_shapes``...): a backend's spelling may differ from
    the standard's (array-api-compat's ``finfo(type_, /)``, ``can_cast(from_,
    to, casting='safe')``, ``broadcast_shapes(*args)``), so the function is
    rebuilt with the standard's parameters, as a conformance suite inspects
    them.  Wrapped arrays are unwrapped; the backend gets every argument
    positionally except keyword-only ones.
    """
    arguments = []
    for p in parameters(op.signature):
        if p.kind is inspect.Parameter.VAR_POSITIONAL:
            arguments.append(f"*[backend_array(a) for a in {p.name}]")
        elif p.kind is inspect.Parameter.KEYWORD_ONLY:
            arguments.append(f"{p.name}=backend_array({p.name})")
        else:
            arguments.append(f"backend_array({p.name})")
    name = op.short_name
    source = _PASS_THROUGH.format(name=name, signature=op.signature,
                                  arguments=", ".join(arguments))
    scope = {"_backend": backend_function, "backend_array": backend_array}
    return generated(source, name, scope, op.name, ns.__name__, docstring(op))


def detached(a):
    """``a`` without history (a constant to the rules), wrapped or a backend array."""
    return a.detach() if isinstance(a, (Array, BatchedArray)) else a


def backend_array(a):
    """The backend array of a wrapped one (of one row's worth of a batched one)."""
    while isinstance(a, BatchedArray):
        a = a._physical
    return a._data if isinstance(a, Array) else a

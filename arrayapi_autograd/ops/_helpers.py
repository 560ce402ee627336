"""Small shape helpers shared by the derivative rules of several sections."""

from __future__ import annotations


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

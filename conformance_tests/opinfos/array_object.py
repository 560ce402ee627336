"""OpInfo records for the array object section (see _core.py for the fields).

Spec section: "Array object",
https://data-apis.org/array-api/latest/API_specification/array_object.html

Operators are checked as methods (``x1.__add__(x2)``), with the same PyTorch
tensor methods as the reference.  ``__getitem__`` draws basic, integer-array
(with repeated indices, whose cotangents must add up, as PyTorch's
``index_put`` with ``accumulate=True``) and boolean keys.  ``__setitem__`` is a
statement, so its record calls it on a differentiable copy: the gradient flows
to the kept values and to the written ones.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ._core import OpInfo, Sample, shape_strategy, values  # noqa: F401

_POSITIVE = (0.5, 2.0)
_NONZERO = ((-2.0, 2.0), (0.5, 2.0))


def _matmul_sample(draw) -> Sample:
    s1, s2 = draw(st.sampled_from([((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)),
                                   ((2, 3), (3, 4)), ((2, 2, 3), (3, 4)),
                                   ((1, 2, 3), (2, 3, 2)), ((2, 0), (0, 3))]))
    return Sample((values(draw, s1), values(draw, s2)))


def _getitem_sample(draw) -> Sample:
    kind = draw(st.sampled_from(["basic", "integer", "boolean"]))
    if kind == "integer":
        # one integer array on a 1-D array, with a repeated and a negative index
        x = values(draw, (5,))
        key = np.array(draw(st.sampled_from([[0, 2, 2, 4, -1], [3], [1, 1, 1]])),
                       dtype=np.int64)
        return Sample((x, key))
    shape = draw(st.sampled_from([(5,), (2, 3), (2, 3, 4)]))
    x = values(draw, shape)
    if kind == "boolean":
        return Sample((x, x > 0.0))
    keys = {
        1: [(slice(1, None, 2),), (0,), (Ellipsis, None), (slice(None, None, -1),),
            (slice(2, 2),)],
        2: [(0, slice(None)), (slice(None, None, -1), 1), (Ellipsis, None),
            (slice(None), slice(1, 3)), (-1, -1)],
        3: [(0, Ellipsis, 1), (slice(None), None, slice(0, 2), 0), (1, Ellipsis)],
    }[len(shape)]
    return Sample((x, draw(st.sampled_from(keys))))


def _setitem(xp, x, value, *, key):
    y = x * 1  # a differentiable copy: the original input is never mutated
    y[key] = value
    return y


def _setitem_sample(draw) -> Sample:
    kind = draw(st.sampled_from(["basic", "integer", "boolean"]))
    if kind == "integer":
        x = values(draw, (5,))
        key = np.array([0, 3, -1], dtype=np.int64)  # distinct: the written value is unique
        return Sample((x, values(draw, draw(st.sampled_from([(3,), ()])))), {"key": key})
    x = values(draw, (2, 3))
    if kind == "boolean":
        return Sample((x, values(draw, ())), {"key": x > 0.0})
    key, value_shape = draw(st.sampled_from([((0, Ellipsis), (3,)), ((0, Ellipsis), ()),
                                             ((slice(None), 1), (2,)),
                                             ((Ellipsis, slice(0, 2)), (1, 2))]))
    return Sample((x, values(draw, value_shape)), {"key": key})


def _iadd(xp, x1, x2):
    y = x1 * 1
    y += x2
    return y


def _iadd_sample(draw) -> Sample:
    s1, s2 = draw(st.sampled_from([((), ()), ((4,), (4,)), ((2, 3), (3,)), ((2, 3), ()),
                                   ((2, 3), (1, 3))]))
    return Sample((values(draw, s1), values(draw, s2)))


def _mT(xp, x):
    return x.mT


def _mT_sample(draw) -> Sample:
    return Sample((values(draw, draw(st.sampled_from([(2, 3), (4, 2, 3), (3, 0)]))),))


_SPECIAL = np.asarray([0.5, np.nan, np.inf, -1.0, -0.0, -np.inf])


def _getitem_edges():
    """Repeated integer indices and a boolean mask over special values, NaN and infinite
    cotangents (the scatter-add of the backward keeps each in its own entry)."""
    return [Sample((_SPECIAL, np.asarray([1, 1, 2, -1, 0, 2, 2], dtype=np.int64)),
                   label="repeated indices", cotangents=("mixed",)),
            Sample((_SPECIAL, np.asarray([True, True, False, True, True, True])),
                   label="boolean mask", cotangents=("mixed",))]


def _setitem_edges():
    """Written at repeated indices (the same value at each repeat, so that the result
    does not depend on which write wins), special values on both sides."""
    value = np.asarray([np.inf, 2.0, 2.0, np.nan])
    return [Sample((_SPECIAL, value), {"key": np.asarray([0, 3, 3, -1], dtype=np.int64)},
                   label="repeated indices", cotangents=("mixed",)),
            Sample((_SPECIAL, np.asarray(np.nan)), {"key": _SPECIAL > 0},
                   label="boolean mask, NaN written", cotangents=("mixed",))]


def _matmul_edges():
    """Zeros, infinities and NaN in products (0 * inf is NaN on both sides)."""
    a = np.asarray([[0.0, 1.0, np.inf], [2.0, -0.0, 1.0], [np.nan, 1.0, 0.5]])
    b = np.asarray([[1.0, 0.0], [np.inf, 2.0], [0.0, -1.0]])
    return [Sample((a, b), label="special values", cotangents=("mixed",))]


OPINFOS: tuple[OpInfo, ...] = (
    OpInfo("__add__", family="binary", dtypes=("float64", "float32", "complex128")),
    OpInfo("__sub__", family="binary"),
    OpInfo("__mul__", family="binary", dtypes=("float64", "float32", "complex128")),
    OpInfo("__rmul__", family="binary"),
    OpInfo("__truediv__", family="binary", domain=_NONZERO),
    OpInfo("__pow__", family="binary", domain=(_POSITIVE, (-2.0, 2.0))),
    OpInfo("__matmul__", family="custom", sample=_matmul_sample, edges=_matmul_edges),
    OpInfo("__neg__"),
    # abs is not differentiable at 0 (PyTorch: derivative 0 there); 0 is drawn on purpose
    OpInfo("__abs__", special=(0.0,), smooth=False),
    OpInfo("__iadd__", family="custom", sample=_iadd_sample, call=_iadd),
    OpInfo("__getitem__", family="custom", sample=_getitem_sample, edges=_getitem_edges),
    OpInfo("__setitem__", family="custom", sample=_setitem_sample, call=_setitem,
           edges=_setitem_edges,
           xfail={"batched:dask": "Dask refuses a boolean mask after the batch axis, and "
                                  "the rows it gives one by one have unknown sizes (nan) "
                                  "that dask.array.stack refuses: no batched cotangents "
                                  "through a masked assignment on Dask"}),
    OpInfo("mT", family="custom", sample=_mT_sample, call=_mT),
)

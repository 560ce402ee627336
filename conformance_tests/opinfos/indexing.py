"""OpInfo records for the indexing section (see _core.py for the fields).

Spec: https://data-apis.org/array-api/latest/API_specification/indexing_functions.html

Indices repeat on purpose (their cotangents must accumulate) and include
negative ones; ``take_along_axis`` also broadcasts ``x`` against ``indices``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ._core import OpInfo, Sample, shape_strategy, values  # noqa: F401


def _indices(draw, n, size):
    """``size`` indices into an axis of length ``n``, repeats likely, some negative."""
    picks = draw(st.lists(st.integers(-n, n - 1), min_size=size, max_size=size))
    return np.asarray(picks, dtype=np.int64)


def _take(draw):
    shape = draw(shape_strategy(min_dims=1, allow_empty=False))
    ndim = len(shape)
    axis = draw(st.sampled_from(list(range(-ndim, ndim)) + ([None] if ndim == 1 else [])))
    n = shape[0 if axis is None else axis]
    indices = _indices(draw, n, draw(st.integers(0, 6)))
    return Sample((values(draw, shape), indices), {} if axis is None else {"axis": axis})


def _take_along_axis(draw):
    shape = draw(shape_strategy(min_dims=1, allow_empty=False))
    ndim = len(shape)
    axis = draw(st.integers(-ndim, ndim - 1))
    k = draw(st.integers(0, 4))
    index_shape = list(shape)
    index_shape[axis] = k
    x_shape = list(shape)
    if ndim >= 2 and draw(st.booleans()):  # broadcast x or indices on another axis
        other = (axis + 1) % ndim
        if draw(st.booleans()):
            x_shape[other] = 1
        else:
            index_shape[other] = 1
    n = x_shape[axis]
    indices = np.asarray(draw(st.lists(st.integers(-n, n - 1), min_size=int(np.prod(index_shape)),
                                       max_size=int(np.prod(index_shape)))),
                         dtype=np.int64).reshape(index_shape)
    kwargs = {} if axis == -1 and draw(st.booleans()) else {"axis": axis}
    return Sample((values(draw, tuple(x_shape)), indices), kwargs)


_SPECIAL = np.asarray([0.5, np.nan, np.inf, -1.0, -0.0, -np.inf])


def _take_edges():
    """Repeated (and negative) indices into special values, NaN and infinite cotangents:
    repeats add up, and each NaN or infinity stays in the entry it is added to."""
    matrix = np.stack([_SPECIAL, _SPECIAL[::-1]])
    repeats = np.asarray([1, 1, -5, 2, 2, 2, 0, 5, 1], dtype=np.int64)
    return [Sample((_SPECIAL, repeats), {"axis": 0}, label="repeated indices",
                   cotangents=("mixed",)),
            Sample((matrix, np.asarray([2, 2, 0, -1, 2], dtype=np.int64)), {"axis": 1},
                   label="repeated indices, axis=1", cotangents=("mixed",))]


def _take_along_axis_edges():
    matrix = np.stack([_SPECIAL, _SPECIAL[::-1]])
    indices = np.asarray([[1, 1, 1, 0], [5, -1, 2, 2]], dtype=np.int64)
    return [Sample((matrix, indices), {"axis": 1}, label="repeated indices",
                   cotangents=("mixed",))]


OPINFOS: tuple[OpInfo, ...] = (
    OpInfo("take", family="custom", sample=_take, edges=_take_edges),
    OpInfo("take_along_axis", family="custom", sample=_take_along_axis,
           edges=_take_along_axis_edges),
)

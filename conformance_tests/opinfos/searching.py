"""OpInfo records for the searching section (see _core.py for the fields).

Spec: https://data-apis.org/array-api/latest/API_specification/searching_functions.html

``where`` is differentiable in ``x1`` and ``x2`` (the condition is a boolean
constant; ``x2`` may be a Python scalar); the others return indices or counts
and are checked not to be recorded.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ._core import BROADCAST_PAIRS, OpInfo, Sample, shape_strategy, values  # noqa: F401


def _where(draw) -> Sample:
    s1, s2 = draw(st.sampled_from(BROADCAST_PAIRS))
    condition = np.asarray(values(draw, s1) > 0)
    x1 = values(draw, s2)
    if draw(st.booleans()):
        return Sample((condition, x1, 0.5))
    return Sample((condition, x1, values(draw, s1)))


def _searchsorted(draw) -> Sample:
    x1 = np.sort(values(draw, (6,)))
    x2 = values(draw, draw(shape_strategy()))
    return Sample((x1, x2), {"side": draw(st.sampled_from(["left", "right"]))})


def _nonzero(draw) -> Sample:
    shape = draw(shape_strategy(min_dims=1))
    return Sample((values(draw, shape, special=(0.0,)),))


_REAL = ("float64", "float32")
_SPECIAL = np.asarray([0.0, -0.0, 1.0, -1.5, np.inf, -np.inf, np.nan])


def _where_edges():
    """Special values in the branch not taken, NaN and infinite cotangents: the branch
    not taken gets exact zeros."""
    x1 = np.concatenate([_SPECIAL] * 2)
    x2 = np.concatenate([_SPECIAL[::-1]] * 2)
    condition = np.arange(x1.size) % 3 == 0
    return [Sample((condition, x1, x2), label="special values in both branches",
                   cotangents=("mixed",)),
            Sample((condition, x1, np.inf), label="scalar infinity", cotangents=("mixed",))]

OPINFOS: tuple[OpInfo, ...] = (
    OpInfo("where", "custom", sample=_where, dtypes=("float64", "float32", "complex128"),
           edges=_where_edges),
    OpInfo("argmax", "reduction", differentiable=False, dtypes=_REAL, allow_empty=False,
           kwargs=({},)),
    OpInfo("argmin", "reduction", differentiable=False, dtypes=_REAL, allow_empty=False),
    OpInfo("count_nonzero", "reduction", differentiable=False, dtypes=_REAL,
           special=(0.0,)),
    OpInfo("nonzero", "custom", sample=_nonzero, differentiable=False, dtypes=_REAL),
    OpInfo("searchsorted", "custom", sample=_searchsorted, differentiable=False,
           dtypes=_REAL),
)

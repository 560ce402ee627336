"""OpInfo records for the linear algebra section (see _core.py for the fields).

Spec: https://data-apis.org/array-api/latest/API_specification/linear_algebra_functions.html

Samples cover 1-D operands of ``matmul`` (promoted and removed again),
broadcast batch dimensions, several ``axes`` forms of ``tensordot`` and
negative ``axis`` of ``vecdot``; complex dtypes check the conjugates
(``vecdot`` conjugates ``x1``).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ._core import OpInfo, Sample, shape_strategy, values  # noqa: F401

_DTYPES = ("float64", "float32", "complex128")


def _matmul(draw):
    s1, s2 = draw(st.sampled_from([
        ((2, 3), (3, 4)), ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)),
        ((4, 2, 3), (3, 5)), ((3,), (2, 3, 4)), ((2, 1, 3, 4), (4,)),
        ((2, 1, 3, 4), (5, 4, 2)), ((0, 3), (3, 2)), ((2, 0), (0, 3)), ((1, 1), (1, 1)),
    ]))
    return Sample((values(draw, s1), values(draw, s2)))


def _matrix_transpose(draw):
    shape = draw(st.sampled_from([(2, 3), (1, 1), (4, 2, 3), (2, 1, 3, 2), (0, 2)]))
    return Sample((values(draw, shape),))


def _tensordot(draw):
    s1, s2, axes = draw(st.sampled_from([
        ((2, 3, 4), (3, 4, 5), 2),
        ((2, 3), (3, 4), 1),
        ((2, 3), (4,), 0),
        ((2, 3, 4), (2, 3, 4), 3),
        ((2, 3, 4), (4, 5, 2), ([2, 0], [0, 2])),
        ((2, 3), (4, 3, 2), ([-1], [1])),
        ((3, 2), (2, 3), ((0, 1), (1, 0))),
        ((4,), (4,), ([0], [0])),
        ((), (2, 3), 0),
    ]))
    kwargs = {} if axes == 2 and draw(st.booleans()) else {"axes": axes}
    return Sample((values(draw, s1), values(draw, s2)), kwargs)


def _vecdot(draw):
    s1, s2, axis = draw(st.sampled_from([
        ((3,), (3,), -1), ((2, 3), (3,), -1), ((2, 3), (2, 3), -2), ((4, 1, 3), (2, 3), -1),
        ((2, 3, 4), (3, 1), -2), ((0, 3), (3,), -1), ((1,), (1,), -1),
    ]))
    kwargs = {} if axis == -1 and draw(st.booleans()) else {"axis": axis}
    return Sample((values(draw, s1), values(draw, s2)), kwargs)


_A = np.asarray([[0.0, 1.0, np.inf], [2.0, -0.0, 1.0], [np.nan, 1.0, 0.5]])
_B = np.asarray([[1.0, 0.0], [np.inf, 2.0], [0.0, -1.0]])


def _matmul_edges():
    """Zeros, infinities and NaN in products (0 * inf is NaN on both sides)."""
    return [Sample((_A, _B), label="special values", cotangents=("mixed",))]


def _vecdot_edges():
    return [Sample((_A, _A[::-1]), {"axis": -1}, label="special values",
                   cotangents=("mixed",))]


OPINFOS: tuple[OpInfo, ...] = (
    OpInfo("matmul", family="custom", sample=_matmul, dtypes=_DTYPES, edges=_matmul_edges),
    OpInfo("matrix_transpose", family="custom", sample=_matrix_transpose, dtypes=_DTYPES),
    OpInfo("tensordot", family="custom", sample=_tensordot, dtypes=_DTYPES),
    OpInfo("vecdot", family="custom", sample=_vecdot, dtypes=_DTYPES, edges=_vecdot_edges),
)

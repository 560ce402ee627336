"""OpInfo records for the set section (see _core.py for the fields).

Spec: https://data-apis.org/array-api/latest/API_specification/set_functions.html

PyTorch's ``torch.unique`` has no derivative; ours records ``unique_*`` so that
a backward through the float ``values`` raises "VJP of 'unique_values' is not
defined" instead of silently dropping the gradient (see
``arrayapi_autograd/ops/_set_functions.py``).  Their forward values, and that
the backward and the JVP raise, are what these records check: the ``vjp`` and
``jvp`` checks fail on both sides (PyTorch raises too) and are expected
failures.  ``isin`` returns booleans and is never recorded.
"""

from __future__ import annotations

import numpy as np

from ._core import OpInfo, Sample, shape_strategy, values  # noqa: F401

_NO_DERIVATIVE = {
    "vjp": "torch.unique has no derivative: PyTorch's backward raises \"the derivative "
           "for '_unique2' is not implemented\" before ours runs (ours refuses too, by "
           "design, rather than drop the gradient)",
    "jvp": "the JVP check starts from PyTorch's VJP (for the identity <ct, J t> = "
           "<J^T ct, t>), and torch.unique has none: \"the derivative for '_unique2' is "
           "not implemented\"",
}


def _with_repeats(draw) -> Sample:
    """Values rounded to halves, so that repeats occur (0-d and empty included)."""
    shape = draw(shape_strategy())
    return Sample((np.asarray(np.round(values(draw, shape) * 2) / 2),))


def _isin(draw) -> Sample:
    x1 = np.asarray(np.round(values(draw, draw(shape_strategy())) * 2) / 2)
    x2 = np.round(values(draw, (4,)) * 2) / 2
    # invert=True is not drawn: array-api-strict 2.6 ignores it (returns isin(x1, x2)), so
    # the cross-backend check would report the backend's bug, not ours
    return Sample((x1, x2), {"invert": False})


_NO_UNIQUE_ALL = (
    "the reference cannot run unique_all: array-api-compat's PyTorch namespace raises "
    "\"unique_all() not yet implemented for pytorch\" (and torch.unique has no derivative "
    "either; ours refuses one, by design, rather than drop the gradient)")


def _unique_edges():
    """Repeats, signed zeros, infinities and NaN (values only: no derivative anywhere)."""
    x = np.asarray([1.0, np.nan, 0.0, -0.0, np.inf, 1.0, -np.inf, np.inf, -1.5, 0.0])
    return [Sample((x,), label="repeats and special values")]


def _unique(name: str) -> OpInfo:
    # unique_all: array-api-compat's torch namespace has none (NotImplementedError), so
    # there is no reference for its special values; the others return the same arrays
    xfail = (dict.fromkeys(_NO_DERIVATIVE, _NO_UNIQUE_ALL) if name == "unique_all"
             else _NO_DERIVATIVE)
    return OpInfo(name, "custom", sample=_with_repeats, smooth=False, second_order=False,
                  dtypes=("float64",), xfail=xfail,
                  edges=list if name == "unique_all" else _unique_edges)


OPINFOS: tuple[OpInfo, ...] = (
    _unique("unique_all"),
    _unique("unique_counts"),
    _unique("unique_inverse"),
    _unique("unique_values"),
    OpInfo("isin", "custom", sample=_isin, differentiable=False, dtypes=("int64",)),
)

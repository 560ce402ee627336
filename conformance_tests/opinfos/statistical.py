"""OpInfo records for the statistical section (see _core.py for the fields).

Spec: https://data-apis.org/array-api/latest/API_specification/statistical_functions.html

Reductions use the ``reduction`` family (no axis, one axis, tuple axes, with
and without ``keepdims``, 0-d and empty inputs).  ``max``/``min`` get ties on
purpose (the cotangent is split evenly, PyTorch's ``amax``); ``prod`` and
``cumulative_prod`` get zeros on purpose (exact, division-free gradients, also
of second order).  ``std``/``var`` are drawn without empty inputs or a
correction that leaves no degree of freedom (``nan`` values), and keep
non-constant samples so that ``std`` stays away from its kink at 0.
"""

from __future__ import annotations

from hypothesis import strategies as st

from ._core import OpInfo, Sample, edge_rows, shape_strategy, values  # noqa: F401

_COMPLEX = ("float64", "float32", "complex128")
_REAL = ("float64", "float32")


def _cumulative(special=()):
    def sample(draw) -> Sample:
        shape = draw(shape_strategy(min_dims=1))
        x = values(draw, shape, (-2.0, 2.0), special)
        kwargs = {"include_initial": draw(st.booleans())}
        if len(shape) > 1 or draw(st.booleans()):
            kwargs["axis"] = draw(st.integers(-len(shape), len(shape) - 1))
        return Sample((x,), kwargs)
    return sample


def _moment(draw) -> Sample:
    shape = draw(shape_strategy(min_dims=1, allow_empty=False))
    x = values(draw, shape)
    ndim = len(shape)
    options: list[dict] = [{}, {"axis": 0}, {"axis": -1, "keepdims": True}]
    if ndim >= 2:
        options += [{"axis": (0, 1)}, {"axis": (-1, 0), "keepdims": True}]
    kwargs = dict(draw(st.sampled_from(options)))
    axes = kwargs.get("axis", tuple(range(ndim)))
    axes = (axes,) if isinstance(axes, int) else axes
    count = 1
    for a in axes:
        count *= shape[a]
    if count > 1 and draw(st.booleans()):
        kwargs["correction"] = 1.0
    return Sample((x,), kwargs)


def _cumulative_edges():
    """Scans of rows of special values (``_core.EDGE_ROWS``), each cotangent kind."""
    return [Sample((edge_rows(),), {"axis": -1}, label="rows of special values",
                   cotangents=("copies",)),
            Sample((edge_rows(),), {"axis": -1, "include_initial": True},
                   label="rows of special values, include_initial", cotangents=("mixed",))]


def _moment_edges():
    """Moments of rows of special values (a constant row: ``std``'s kink at 0)."""
    return [Sample((edge_rows(),), {"axis": -1}, label="rows of special values",
                   cotangents=("copies",)),
            Sample((edge_rows(),), {"axis": -1, "correction": 1.0, "keepdims": True},
                   label="rows of special values, correction=1", cotangents=("mixed",))]


OPINFOS: tuple[OpInfo, ...] = (
    OpInfo("sum", "reduction", dtypes=_COMPLEX),
    OpInfo("mean", "reduction", dtypes=_COMPLEX),
    OpInfo("max", "reduction", ties=True, smooth=False, allow_empty=False),
    OpInfo("min", "reduction", ties=True, smooth=False, allow_empty=False),
    # zeros on purpose: the gradient of a product with one zero is the product of the
    # others, with two zeros it is 0 (first order) but the second derivative is not
    OpInfo("prod", "reduction", dtypes=_COMPLEX, special=(0.0,)),
    OpInfo("cumulative_sum", "custom", sample=_cumulative(), dtypes=_COMPLEX,
           edges=_cumulative_edges),
    OpInfo("cumulative_prod", "custom", sample=_cumulative((0.0,)), dtypes=_COMPLEX,
           edges=_cumulative_edges),
    OpInfo("var", "custom", sample=_moment, dtypes=_REAL, edges=_moment_edges),
    # std's second derivative divides by std**3: float32 loses a few more digits
    OpInfo("std", "custom", sample=_moment, dtypes=_REAL, edges=_moment_edges,
           rtol={"float64": 1e-9, "float32": 1e-3}),
)

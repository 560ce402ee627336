"""OpInfo records for the sorting section (see _core.py for the fields).

Spec: https://data-apis.org/array-api/latest/API_specification/sorting_functions.html

``sort`` values are differentiable: the cotangent goes back through the
(stable) permutation, so tied values receive the cotangents of the positions
PyTorch's stable sort gives them; ties are sampled on purpose.  ``argsort``
is never recorded.
"""

from __future__ import annotations

from hypothesis import strategies as st

from ._core import OpInfo, Sample, edge_rows, shape_strategy, values  # noqa: F401


def _sort(draw) -> Sample:
    shape = draw(shape_strategy(min_dims=1))
    x = values(draw, shape)
    if x.size > 2 and draw(st.booleans()):
        flat = x.reshape(-1)
        flat[1] = flat[0]  # a tie
    kwargs = {"descending": draw(st.booleans())}
    if len(shape) > 1 or draw(st.booleans()):
        kwargs["axis"] = draw(st.integers(-len(shape), len(shape) - 1))
    return Sample((x,), kwargs)


def _sort_edges():
    """Rows of ties, signed zeros, infinities and NaN, sorted both ways."""
    return [Sample((edge_rows(),), {"axis": -1, "descending": descending},
                   label=f"rows of special values{', descending' if descending else ''}",
                   cotangents=("copies",))
            for descending in (False, True)]


OPINFOS: tuple[OpInfo, ...] = (
    # piecewise linear: a perturbation may reorder tied values, so no finite differences
    OpInfo("sort", "custom", sample=_sort, smooth=False, edges=_sort_edges),
    OpInfo("argsort", "custom", sample=_sort, differentiable=False, edges=_sort_edges),
)

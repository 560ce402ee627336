"""OpInfo records for the utility section (see _core.py for the fields).

Spec: https://data-apis.org/array-api/latest/API_specification/utility_functions.html

``diff`` is linear in ``x``, ``prepend`` and ``append`` (all differentiable,
as in PyTorch); ``all``/``any`` return booleans and are never recorded.
"""

from __future__ import annotations

from hypothesis import strategies as st

from ._core import OpInfo, Sample, shape_strategy, values  # noqa: F401


def _diff(draw) -> Sample:
    """``(x, prepend, append)`` positionally (``None`` when absent), so all three are inputs."""
    shape = draw(shape_strategy(min_dims=1, allow_empty=False))
    x = values(draw, shape)
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    extras = []
    for _ in ("prepend", "append"):
        extra = None
        if draw(st.booleans()):
            extra_shape = list(shape)
            extra_shape[axis] = draw(st.integers(1, 2))
            extra = values(draw, tuple(extra_shape))
        extras.append(extra)
    return Sample((x, *extras), {"axis": axis, "n": draw(st.integers(1, 3))})


def _call_diff(xp, x, prepend, append, **kwargs):
    # prepend/append are keyword-only; pass only those given (NumPy's diff has no None)
    given = {k: v for k, v in (("prepend", prepend), ("append", append)) if v is not None}
    return xp.diff(x, **given, **kwargs)


_BOOL = ("float64", "bool")

OPINFOS: tuple[OpInfo, ...] = (
    OpInfo("diff", "custom", sample=_diff, call=_call_diff, dtypes=("float64", "float32", "complex128")),
    OpInfo("all", "reduction", differentiable=False, dtypes=_BOOL, special=(0.0,)),
    OpInfo("any", "reduction", differentiable=False, dtypes=_BOOL, special=(0.0,)),
)

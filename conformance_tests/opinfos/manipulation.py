"""OpInfo records for the manipulation section (see _core.py for the fields).

Spec: https://data-apis.org/array-api/latest/API_specification/manipulation_functions.html

All these functions are linear, so their samples only need valid shapes and
options; every sample set includes 0-d or empty arrays where the function
accepts them.  ``expand_dims`` is sampled with an int ``axis`` only: a tuple
(new in 2025.12) is accepted by our namespace on every backend, but
array-api-strict 2.6's own ``expand_dims`` (the ``forward`` check's
baseline) takes an int only.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from ._core import OpInfo, Sample, shape_strategy, values  # noqa: F401


def _broadcast_arrays(draw):
    shapes = draw(st.sampled_from([[(2, 1), (3,)], [(), (2, 3), (3,)], [(4,)],
                                   [(3, 1, 2), (4, 2), (1,)], [(0,), (1,)]]))
    return Sample(tuple(values(draw, s) for s in shapes))


def _broadcast_shapes(draw):
    shapes = draw(st.sampled_from([[(2, 1), (3,)], [(), (2, 3)], [(4,)], [(3, 1, 2), (4, 2)],
                                   [(0,), (1,)], [(1, 0), (5, 1)]]))
    return Sample(tuple(shapes))


def _broadcast_to(draw):
    shape, target = draw(st.sampled_from([((), (2, 3)), ((3,), (2, 3)), ((2, 1), (2, 4)),
                                          ((1, 3), (4, 2, 3)), ((0,), (2, 0)),
                                          ((2, 3), (2, 3))]))
    return Sample((values(draw, shape), target))


def _concat(draw):
    option = draw(st.sampled_from([
        ([(2, 3), (1, 3), (4, 3)], {"axis": 0}),
        ([(2, 3), (2, 1)], {"axis": -1}),
        ([(2, 3), (2, 0), (2, 2)], {"axis": 1}),
        ([(2, 3), (4,)], {"axis": None}),
        ([(5,), (1,), (2,)], {}),
        ([(2, 1, 2), (2, 3, 2)], {"axis": -2}),
    ]))
    shapes, kwargs = option
    arrays = [values(draw, s) for s in shapes]
    if draw(st.booleans()):
        arrays = tuple(arrays)
    return Sample((arrays,), dict(kwargs))


def _expand_dims(draw):
    shape = draw(shape_strategy())
    ndim = len(shape)
    axis = draw(st.integers(-ndim - 1, ndim))
    return Sample((values(draw, shape),), {"axis": axis})


def _axes_subset(draw, ndim):
    """``None``, one axis, or a tuple of distinct axes (maybe negative) of ``ndim``."""
    if ndim == 0:
        return None
    choice = draw(st.sampled_from(["none", "int", "tuple"]))
    if choice == "none":
        return None
    if choice == "int":
        return draw(st.integers(-ndim, ndim - 1))
    axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    return tuple(a - ndim if draw(st.booleans()) else a for a in axes)


def _flip(draw):
    shape = draw(shape_strategy())
    axis = _axes_subset(draw, len(shape))
    return Sample((values(draw, shape),), {} if axis is None else {"axis": axis})


def _moveaxis(draw):
    shape = draw(shape_strategy(min_dims=1))
    ndim = len(shape)
    source = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    destination = draw(st.lists(st.integers(0, ndim - 1), min_size=len(source),
                                max_size=len(source), unique=True))
    if len(source) == 1 and draw(st.booleans()):
        source, destination = source[0], destination[0] - ndim
    else:
        source, destination = tuple(source), tuple(destination)
    return Sample((values(draw, shape), source, destination))


def _permute_dims(draw):
    shape = draw(shape_strategy())
    axes = tuple(draw(st.permutations(range(len(shape)))))
    return Sample((values(draw, shape), axes))


def _repeat(draw):
    shape = draw(shape_strategy(min_dims=1))
    ndim = len(shape)
    axis = draw(st.sampled_from([None] + list(range(-ndim, ndim))))
    n = int(np.prod(shape)) if axis is None else shape[axis]
    kind = draw(st.sampled_from(["int", "array", "one"]))
    if kind == "int":
        repeats = draw(st.integers(0, 3))
    elif kind == "one":
        repeats = np.asarray([draw(st.integers(0, 3))], dtype=np.int64)
    else:
        repeats = np.asarray(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)),
                             dtype=np.int64)
    return Sample((values(draw, shape), repeats), {} if axis is None else {"axis": axis})


def _repeat_edges():
    """Array ``repeats`` (its backward adds each run of copies: a scatter-add) with NaN
    and infinite cotangents, and special values repeated."""
    x = np.asarray([0.5, np.nan, np.inf, -1.0, -0.0])
    repeats = np.asarray([2, 0, 1, 3, 2], dtype=np.int64)
    return [Sample((x, repeats), label="array repeats", cotangents=("mixed",)),
            Sample((x, 2), label="integer repeats", cotangents=("mixed",))]


def _reshape(draw):
    shape, target = draw(st.sampled_from([((2, 3), (3, 2)), ((2, 3), (-1,)), ((6,), (1, 2, 3)),
                                          ((), (1, 1)), ((2, 3, 4), (4, -1)), ((0,), (2, 0)),
                                          ((1,), ())]))
    return Sample((values(draw, shape), target))


def _roll(draw):
    shape = draw(shape_strategy())
    ndim = len(shape)
    axis = _axes_subset(draw, ndim)
    if isinstance(axis, tuple):
        shift = tuple(draw(st.integers(-5, 5)) for _ in axis)
        if len(shift) == 1 and draw(st.booleans()):
            shift = shift[0]  # one shift for every axis
    else:
        shift = draw(st.integers(-5, 5))
    return Sample((values(draw, shape), shift), {} if axis is None else {"axis": axis})


def _squeeze(draw):
    shape, axis = draw(st.sampled_from([((1,), 0), ((1, 3), 0), ((2, 1), -1),
                                        ((1, 3, 1), (0, 2)), ((1, 1), (-1, 0)),
                                        ((1, 0), 0), ((2, 1, 3), 1)]))
    return Sample((values(draw, shape),), {"axis": axis})


def _stack(draw):
    shape = draw(shape_strategy())
    count = draw(st.integers(1, 3))
    ndim = len(shape) + 1
    arrays = [values(draw, shape) for _ in range(count)]
    kwargs = draw(st.sampled_from([{}, {"axis": ndim - 1}, {"axis": -1}, {"axis": -ndim}]))
    return Sample((arrays,), dict(kwargs))


def _tile(draw):
    shape = draw(shape_strategy())
    reps = tuple(draw(st.lists(st.integers(0, 3), min_size=0 if shape else 1, max_size=3)))
    return Sample((values(draw, shape), reps))


def _unstack(draw):
    shape = draw(shape_strategy(min_dims=1))
    ndim = len(shape)
    kwargs = draw(st.sampled_from([{}, {"axis": ndim - 1}, {"axis": -1}]))
    return Sample((values(draw, shape),), dict(kwargs))


OPINFOS: tuple[OpInfo, ...] = (
    OpInfo("broadcast_arrays", family="custom", sample=_broadcast_arrays),
    OpInfo("broadcast_shapes", family="custom", sample=_broadcast_shapes,
           differentiable=False),
    OpInfo("broadcast_to", family="custom", sample=_broadcast_to),
    OpInfo("concat", family="custom", sample=_concat),
    OpInfo("expand_dims", family="custom", sample=_expand_dims),
    OpInfo("flip", family="custom", sample=_flip),
    OpInfo("moveaxis", family="custom", sample=_moveaxis),
    OpInfo("permute_dims", family="custom", sample=_permute_dims),
    OpInfo("repeat", family="custom", sample=_repeat, edges=_repeat_edges),
    OpInfo("reshape", family="custom", sample=_reshape),
    OpInfo("roll", family="custom", sample=_roll),
    OpInfo("squeeze", family="custom", sample=_squeeze),
    OpInfo("stack", family="custom", sample=_stack),
    OpInfo("tile", family="custom", sample=_tile),
    OpInfo("unstack", family="custom", sample=_unstack),
)

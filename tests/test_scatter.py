"""The scatter-add of the gathers' backward: every value in its own position, in O(n log n).

``take``, ``take_along_axis``, integer-array and boolean indexing and an array
``repeats`` add their cotangents at positions (``ops/_scatter.py``).  On
namespaces without an indexed addition (array-api-strict, Dask) this used to
be a one-hot product: one NaN cotangent made every entry NaN, and time and
memory grew as n * size.  Here: NaN and infinite cotangents stay where they
are added, as with PyTorch's ``index_add`` (``torch.autograd`` is the
reference, ``tests/oracle.py``), repeats accumulate, and the time of a
10^4..10^5-element backward grows about linearly.  Dask's chunked version is
checked in ``tests/test_dask.py``.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

import arrayapi_autograd as ag
from arrayapi_autograd.ops._scatter import scatter_add, segment_sum
from oracle import assert_matches_torch, to_numpy

NAN, INF = np.nan, np.inf
X5 = [0.5, -1.0, 2.0, 1.5, 0.25]


def _constant(xp, values, dtype=None):
    return xp.asarray(np.asarray(values), dtype=dtype)


# each: function of x, the input, and a head gradient with NaN and infinities
CASES = {
    "take": (lambda xp, x: xp.take(x, _constant(xp, [0, 2, 2, 4, -1, 1, 1]), axis=0), X5,
             [1.0, NAN, 2.0, 3.0, INF, -INF, 4.0]),
    "take_axis_1": (
        lambda xp, x: xp.take(x, _constant(xp, [2, 0, 2]), axis=1),
        [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], [[NAN, 1.0, 2.0], [3.0, INF, 4.0]]),
    "take_along_axis": (
        lambda xp, x: xp.take_along_axis(x, _constant(xp, [[0, 0, 2], [1, 2, 2]]), axis=1),
        [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], [[NAN, 1.0, 2.0], [3.0, -INF, 4.0]]),
    "getitem_integer_array": (lambda xp, x: x[_constant(xp, [3, 3, 0, -2])], X5,
                              [INF, 1.0, NAN, 2.0]),
    "getitem_boolean_mask": (lambda xp, x: x[x > 0.3], X5, [NAN, 1.0, INF]),
    "repeat_array_repeats": (lambda xp, x: xp.repeat(x, _constant(xp, [2, 0, 1, 3, 1])), X5,
                             [1.0, NAN, 2.0, INF, 3.0, 4.0, 5.0]),
    "sort_with_ties": (lambda xp, x: xp.sort(x), [1.0, -1.0, 1.0, 0.5, 1.0],
                       [1.0, NAN, 2.0, INF, 3.0]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_nonfinite_cotangents_stay_in_their_positions(xp, name):
    fn, x, head = CASES[name]
    if name == "take_along_axis" and not hasattr(xp._xp, "take_along_axis"):
        pytest.skip("no take_along_axis in this backend")
    with np.errstate(invalid="ignore"):
        (grad,) = assert_matches_torch(xp, fn, np.array(x), head_grad=np.array(head))
    # every gradient entry that received no NaN cotangent is not NaN
    assert 0 < np.count_nonzero(np.isnan(grad)) < grad.size


def test_repeats_accumulate_with_nonfinite_values(xp):
    """Values known by hand: a NaN and an infinity each spoil only their own target."""
    x = xp.asarray(np.zeros(6)).requires_grad_()
    y = xp.take(x, _constant(xp, [0, 2, 2, 5, -1, 3, 3, 3]), axis=0)
    y.backward(xp.asarray(np.array([1.0, NAN, 2.0, INF, 1.0, 1.0, 2.0, 3.0])))
    np.testing.assert_array_equal(to_numpy(x.grad), [1.0, 0.0, NAN, 6.0, 0.0, INF])


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")
@pytest.mark.parametrize("backend", ["array_api_strict", "numpy", "torch"])
def test_segment_sum_equals_add_at(backend):
    """The standard-only algorithm on random positions (runs of every length, empty
    inputs, NaN and infinities, complex values) against NumPy's ``add.at``."""
    xp = ag.namespace(backend)._xp
    rng = np.random.default_rng(0)
    for trial in range(40):
        n, size = int(rng.integers(0, 60)), int(rng.integers(1, 25))
        positions = rng.integers(0, max(1, size // (1 + trial % 4)), n)
        values = rng.standard_normal(n)
        if trial % 3 == 0:
            values = values + 1j * rng.standard_normal(n)
        if trial % 3:  # real: NaN and infinities (PyTorch's complex index_add multiplies
            # by alpha = 1 + 0j, which turns a non-finite part into NaN in the other)
            values[rng.random(n) < 0.1] = NAN
            values[rng.random(n) < 0.1] = INF
            values[rng.random(n) < 0.05] = -INF
        expected = np.zeros(size, dtype=values.dtype)
        np.add.at(expected, positions, values)
        for function in (segment_sum, scatter_add):
            got = function(xp, xp.asarray(positions), xp.asarray(values), size)
            got = got.numpy() if hasattr(got, "numpy") else np.asarray(got)
            np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def _take_backward_seconds(xp, n: int, repeats: int = 3) -> float:
    rng = np.random.default_rng(n)
    x = xp.asarray(rng.standard_normal(n))
    indices = xp.asarray(rng.integers(0, n, n))
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        gradient = ag.grad(lambda a: xp.sum(xp.take(a, indices, axis=0) ** 2))(x)
        np.asarray(gradient._data)  # (already computed on the eager backends)
        best = min(best, time.perf_counter() - start)
    return best


def test_backward_time_grows_about_linearly():
    """On array-api-strict (no indexed addition: the standard algorithm), 15 times the
    elements take about 15 times as long (n log n: ~19); the one-hot product took
    225 times as long, and 720 GB at the larger size.  The bound is generous (timings
    on a shared machine vary); it separates n log n from n^2."""
    xp = ag.namespace("array_api_strict")
    small, large = 20_000, 300_000
    _take_backward_seconds(xp, 1_000, repeats=1)  # warm up
    ratio = _take_backward_seconds(xp, large) / _take_backward_seconds(xp, small)
    assert ratio < 60, f"the backward took {ratio:.1f} times as long for 15x the elements"

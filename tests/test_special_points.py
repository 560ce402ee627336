"""Gradients at special points (infinities, zeros) where a naive formula gives NaN.

Each case is compared with ``torch.autograd`` on the same inputs (``oracle.py``);
the expected values are also written out, since these are the points where a
formula rewritten for our rules most easily drifts from PyTorch's.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import arrayapi_autograd as ag
from oracle import BACKENDS, assert_matches_torch

INF = math.inf

CASES = {
    # exp(x1 - out) would be exp(inf - inf): PyTorch's 1 / (1 + exp(x2 - x1)) is finite
    "logaddexp_opposite_infinities": (
        lambda xp, x: xp.logaddexp(x, -x), [INF, -INF, 0.0, 1.0],
        [1.0, -1.0, 0.0, math.tanh(1.0)]),
    # x2 / (x1^2 + x2^2) at the origin is 0 / 0: PyTorch gives 0
    "atan2_origin": (lambda xp, x: xp.atan2(x, 2.0 * x), [0.0, 1.0], [0.0, 0.0]),
    # |x|^(p - 1) at a zero entry is infinite for p < 1: PyTorch gives 0 there
    "vector_norm_p_below_one_zero_entry": (
        lambda xp, x: xp.linalg.vector_norm(x, ord=0.5), [0.0, 1.0, 4.0],
        # ||x||_0.5 = (0 + 1 + 2)^2 = 9, d/dx_i = |x_i|^(-1/2) ||x||^(1/2) = 3 / sqrt(x_i)
        [0.0, 3.0, 1.5]),
}


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("backend", BACKENDS)
def test_gradient_at_special_point(name, backend):
    fn, x, expected = CASES[name]
    xp = ag.namespace(backend)
    with np.errstate(all="ignore"):
        (grad,) = assert_matches_torch(xp, fn, np.array(x))
    np.testing.assert_allclose(grad, expected, rtol=1e-12)
    assert np.all(np.isfinite(grad))

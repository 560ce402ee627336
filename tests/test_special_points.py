"""Gradients at special points (infinities, zeros) where a naive formula gives NaN.

Each case is compared with ``torch.autograd`` on the same inputs (``oracle.py``);
the expected values are also written out, since these are the points where a
formula rewritten for our rules most easily drifts from PyTorch's.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import arrayapi_autograd as ag
from arrayapi_autograd import autograd
from oracle import BACKENDS, assert_matches_torch, to_numpy

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


# ---------------------------------------------------------------------------
# Structural zeros: a derivative that is 0 by structure gives exact zeros, even for
# a NaN or infinite cotangent (PyTorch's zeros_like / masked_fill), never ct * 0
# ---------------------------------------------------------------------------

NAN = math.nan
HEAD = [NAN, INF, -INF, 1.0, NAN, 2.0]
X1 = [1.5, -0.5, 0.0, 2.0, -2.0, 0.25]
X2 = [-1.0, 2.0, -0.0, 2.0, 3.0, -4.0]

# name: (function, inputs, reference for torch or None, {input: positions that must be 0})
STRUCTURAL = {
    "copysign_sign_argument": (lambda xp, a, b: xp.copysign(a, b), (X1, X2), None,
                               {1: range(6)}),
    "sign": (lambda xp, a: xp.sign(a), (X1,), lambda xp, a: xp.sgn(a), {0: range(6)}),
    "floor": (lambda xp, a: xp.floor(a), (X1,), None, {0: range(6)}),
    "ceil": (lambda xp, a: xp.ceil(a), (X1,), None, {0: range(6)}),
    "round": (lambda xp, a: xp.round(a), (X1,), None, {0: range(6)}),
    "trunc": (lambda xp, a: xp.trunc(a), (X1,), None, {0: range(6)}),
    "floor_divide": (lambda xp, a, b: xp.floor_divide(a, b), (X1, X2),
                     lambda xp, a, b: xp.div(a, b, rounding_mode="floor"),
                     {0: range(6), 1: range(6)}),
    # the loser of maximum/minimum: x1 loses at 0, 1, 2(tie: split), 3 (tie), 4
    "maximum_loser": (lambda xp, a, b: xp.maximum(a, b), (X1, X2), None, {0: [1, 4], 1: [0, 5]}),
    "minimum_loser": (lambda xp, a, b: xp.minimum(a, b), (X1, X2), None, {0: [0, 5], 1: [1, 4]}),
    "where_branch_not_taken": (lambda xp, a, b: xp.where(a > 0, a, b), (X1, X2), None,
                               {0: [1, 2, 4], 1: [0, 3, 5]}),
    "pow_base_at_exponent_zero": (lambda xp, a, b: xp.pow(a, b * 0.0), (X1, X2), None,
                                  {0: range(6)}),
    "nextafter_direction": (lambda xp, a, b: xp.nextafter(a, b), (X1, X2), None,
                            {1: range(6)}),
    "clip_outside": (lambda xp, a: xp.clip(a, -0.25, 0.5), (X1,), None, {0: [0, 1, 3, 4]}),
    "vector_norm_order_0": (lambda xp, a: xp.linalg.vector_norm(a, ord=0), (X1,), None,
                            {0: range(6)}),
}


@pytest.mark.parametrize("name", list(STRUCTURAL))
def test_structural_zeros_with_nonfinite_cotangents(xp, name):
    fn, inputs, reference, zeros = STRUCTURAL[name]
    values = [np.array(v) for v in inputs]
    head = np.array(NAN) if name.startswith("vector_norm") else np.array(HEAD)
    torch_fn = None
    if reference is not None:
        torch_fn = lambda txp, *a: reference(torch, *a)  # noqa: E731
    with np.errstate(all="ignore"):
        grads = assert_matches_torch(xp, fn, *values, head_grad=head, reference=torch_fn)
    for i, positions in zeros.items():
        np.testing.assert_array_equal(grads[i][list(positions)], 0.0)


def test_forward_mode_structural_zeros(xp):
    """JVPs: a NaN tangent of copysign's sign argument or of nextafter's direction
    contributes nothing (PyTorch's forward gradients ignore them)."""
    x = xp.asarray([1.5, -0.5, 2.0])
    s = xp.asarray([-1.0, 2.0, 3.0])
    nan_tangent = xp.asarray([NAN, NAN, NAN])
    for f in (xp.copysign, xp.nextafter):
        _, tangent = ag.jvp(lambda b: f(x, b), (s,), (nan_tangent,))
        np.testing.assert_array_equal(to_numpy(tangent), 0.0)


# ---------------------------------------------------------------------------
# Kinks and special inputs as PyTorch does them (found by the conformance suite's
# special-value samples, conformance_tests/special_values.py)
# ---------------------------------------------------------------------------

KINKS = {
    # PyTorch's sgn(nan) is 0: abs has gradient 0 at NaN (the standard's sign(nan) is NaN)
    "abs_at_nan": (lambda xp, x: xp.abs(x), [NAN, -2.0, 0.0], [0.0, -1.0, 0.0]),
    # d remainder / d x2 = -floor_divide(x1, x2), Python's floor division: 1 // -inf = -1
    "remainder_divisor_at_infinity": (
        lambda xp, x: xp.remainder(xp.asarray([1.0, -1.0, 2.0], dtype=x.dtype), x),
        [-INF, INF, 4.0], [1.0, 1.0, -0.0]),
    # nextafter(x, x) is x2 itself: PyTorch gives x1 no gradient there
    "nextafter_at_a_tie": (
        lambda xp, x: xp.nextafter(x, xp.asarray([1.0, 0.0, 2.0], dtype=x.dtype)),
        [1.0, 1.0, 1.0], [0.0, 1.0, 1.0]),
    # the inf-norm of a vector with a NaN: NaN, and the gradient is 0 (sgn(nan) = 0)
    "vector_norm_inf_with_nan": (lambda xp, x: xp.linalg.vector_norm(x, ord=math.inf),
                                 [1.0, NAN, -3.0], [0.0, 0.0, 0.0]),
    "vector_norm_1_with_nan": (lambda xp, x: xp.linalg.vector_norm(x, ord=1),
                               [1.0, NAN, -3.0], [1.0, 0.0, -1.0]),
    # p > 1 at the zero vector: the cotangent is masked where the norm is 0
    "vector_norm_3_at_zero": (lambda xp, x: xp.linalg.vector_norm(x, ord=3), [0.0, -0.0],
                              [0.0, 0.0]),
}


@pytest.mark.parametrize("name", list(KINKS))
def test_kinks_as_pytorch(xp, name):
    fn, x, expected = KINKS[name]
    with np.errstate(all="ignore"):
        (grad,) = assert_matches_torch(xp, fn, np.array(x))
    np.testing.assert_allclose(grad, expected, rtol=1e-12)


def test_vector_norm_below_one_with_an_infinite_norm(xp):
    """p < 1: 0 at zero entries of a finite norm, but NaN (0 * inf) where the norm is
    infinite, as in PyTorch's norm_backward."""
    with np.errstate(all="ignore"):
        (grad,) = assert_matches_torch(
            xp, lambda xp, x: xp.linalg.vector_norm(x, ord=0.5), np.array([INF, 0.0, 1.0]))
    assert np.isnan(grad[1])


def test_norms_with_zero_norm_and_nan_cotangent(xp):
    """The 3-norm of a zero vector with a NaN cotangent: exact zeros (the cotangent is
    masked where the norm is 0); the 2-norm multiplies it (NaN), as in PyTorch."""
    for order, finite in ((3, True), (2, False)):
        with np.errstate(all="ignore"):
            (grad,) = assert_matches_torch(
                xp, lambda xp, x: xp.linalg.vector_norm(x, ord=order), np.zeros(2),
                head_grad=np.array(NAN))
        assert np.all(np.isfinite(grad)) == finite


def test_matrix_norm_with_an_infinite_cotangent(xp):
    """nuc/2-norm: the cotangent enters U diag(.) V^H as in PyTorch's svd_backward, so an
    infinite one gives NaN where the singular vectors' products have zeros."""
    with np.errstate(all="ignore"):
        assert_matches_torch(xp, lambda xp, x: xp.linalg.matrix_norm(x, ord="nuc"), np.eye(2),
                             head_grad=np.array(INF))


def test_qr_of_an_exactly_rank_deficient_matrix(xp):
    """R with a zero on its diagonal: the backward solves triangular systems by
    substitution (infinities and NaN, as PyTorch's triangular solve) instead of raising."""
    a = np.array([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]])

    def loss(xp, x):
        q, r = xp.linalg.qr(x)
        return xp.sum(q * xp.asarray([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], dtype=x.dtype)) \
            + xp.sum(r)

    with np.errstate(all="ignore"):
        (grad,) = assert_matches_torch(xp, loss, a)
    assert not np.all(np.isfinite(grad))


@pytest.mark.parametrize("name", ["diagonal", "trace"])
def test_diagonal_cotangents_stay_on_the_diagonal(xp, name):
    """A NaN cotangent of a diagonal (a trace) spoils only the diagonal entries: the rest
    of the gradient is an exact 0, as PyTorch writes the diagonal into zeros."""
    x = np.arange(12.0).reshape(3, 4)
    if name == "diagonal":
        fn, head = (lambda xp, a: xp.linalg.diagonal(a, offset=1)), np.array([1.0, NAN, INF])
    else:
        fn, head = (lambda xp, a: xp.linalg.trace(a)), np.array(NAN)
    with np.errstate(all="ignore"):
        (grad,) = assert_matches_torch(xp, fn, x, head_grad=head)
    off = ~np.eye(3, 4, k=1 if name == "diagonal" else 0, dtype=bool)
    np.testing.assert_array_equal(grad[off], 0.0)


@pytest.mark.parametrize("backend", BACKENDS)
def test_second_derivative_of_a_quotient_at_a_zero_denominator(backend):
    """``d2/dx2 (c / x) = 2c / x**3``: infinite at 0, as PyTorch's ``-(x1 / x2) / x2`` gives
    it (``x1 / (x2 * x2)`` would give ``inf * 0``, NaN)."""
    xp = ag.namespace(backend)
    x = xp.asarray([0.0, 1.0, -0.5], dtype=xp.float64)
    x.requires_grad_()
    with np.errstate(all="ignore"):
        (g,) = autograd.grad(xp.sum(2.0 / x), [x], create_graph=True)
        (h,) = autograd.grad(xp.sum(g), [x])
    tx = torch.tensor([0.0, 1.0, -0.5], dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad((2.0 / tx).sum(), [tx], create_graph=True)
    (th,) = torch.autograd.grad(tg.sum(), [tx])
    np.testing.assert_allclose(to_numpy(g), tg.detach().numpy())
    np.testing.assert_allclose(to_numpy(h), th.numpy())
    np.testing.assert_allclose(to_numpy(h), [INF, 4.0, -32.0])


def test_backward_through_masked_infinities_does_not_warn():
    """The rule of ``x ** 0`` computes ``0 * x ** -1`` and masks it (an exact 0, as in
    PyTorch): NumPy's divide-by-zero warning from inside the backward is not the user's."""
    xp = ag.namespace("numpy")
    x = xp.asarray([0.0, 2.0], dtype=xp.float64)
    x.requires_grad_()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (g,) = autograd.grad(xp.sum(x ** 0.0 + 1.0 / (x + 1.0)), [x])
    tx = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
    (r,) = torch.autograd.grad((tx ** 0.0 + 1.0 / (tx + 1.0)).sum(), [tx])
    np.testing.assert_allclose(to_numpy(g), r.numpy())
    np.testing.assert_allclose(to_numpy(g), [-1.0, -1.0 / 9.0])

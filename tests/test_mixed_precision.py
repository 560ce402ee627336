"""Mixed precision: a float32 operand of a float64 computation.

The output is float64, and so must the gradient be, at float64's precision: the
derivative is taken at the output's precision, as PyTorch's ``grad / other`` promotes
``other`` (some of PyTorch's formulas square the float32 operand in float32 first, as
``atan2``'s does: the float64 gradient is compared with PyTorch's on the operand's
values in float64, the exact derivative of what was computed).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import arrayapi_autograd as ag
from arrayapi_autograd import autograd
from oracle import to_numpy

X = [2.0, -0.7, 3.5]
Y32 = [0.1, 1.5, -0.3]  # not exact in float32: the float32 values are the operand's

OPS = {
    "divide": (lambda xp, x, y: x / y, lambda x, y: x / y),
    "divide_reflected": (lambda xp, x, y: y / x, lambda x, y: y / x),
    "pow": (lambda xp, x, y: xp.abs(x) ** y, lambda x, y: torch.abs(x) ** y),
    "atan2": (lambda xp, x, y: xp.atan2(x, y), lambda x, y: torch.atan2(x, y)),
    "hypot": (lambda xp, x, y: xp.hypot(x, y), lambda x, y: torch.hypot(x, y)),
    "logaddexp": (lambda xp, x, y: xp.logaddexp(x, y), lambda x, y: torch.logaddexp(x, y)),
}


@pytest.mark.parametrize("name", list(OPS))
@pytest.mark.parametrize("backend", ["numpy", "torch", "array_api_strict"])
def test_float32_array_operand_of_a_float64_op(name, backend):
    ours, theirs = OPS[name]
    xp = ag.namespace(backend)
    x = xp.asarray(X, dtype=xp.float64)
    y = xp.asarray(Y32, dtype=xp.float32)
    x.requires_grad_()
    y.requires_grad_()
    gx, gy = autograd.grad(xp.sum(ours(xp, x, y)), [x, y])
    tx = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    ty = torch.tensor(Y32, dtype=torch.float32, requires_grad=True)
    rx, ry = torch.autograd.grad(theirs(tx, ty).sum(), [tx, ty])
    (exact,) = torch.autograd.grad(theirs(tx, ty.detach().double()).sum(), [tx])
    assert gx.dtype == xp.float64 and gy.dtype == xp.float32
    # the float64 gradient to float64's precision, not float32's
    np.testing.assert_allclose(to_numpy(gx), exact.numpy(), rtol=1e-13)
    np.testing.assert_allclose(to_numpy(gx), rx.numpy(), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(gy), ry.numpy(), rtol=1e-6)


@pytest.mark.parametrize("scalar", [np.float32(0.1), np.float32(1.5), np.float16(0.3)])
def test_numpy_scalar_operand(scalar):
    xp = ag.namespace("numpy")
    x = xp.asarray(X, dtype=xp.float64)
    x.requires_grad_()
    (g,) = autograd.grad(xp.sum(x / scalar + scalar * x), [x])
    exact = 1 / np.float64(scalar) + np.float64(scalar)  # the operand's value, in float64
    np.testing.assert_allclose(to_numpy(g), np.full(3, exact), rtol=1e-15)
    tx = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    (r,) = torch.autograd.grad((tx / scalar + scalar * tx).sum(), [tx])
    np.testing.assert_allclose(to_numpy(g), r.numpy(), rtol=1e-15)


def test_complex_output_with_a_float32_operand():
    xp = ag.namespace("numpy")
    z = xp.asarray([1.0 + 2.0j, -0.5 + 0.25j], dtype=xp.complex128)
    y = xp.asarray([0.1, 0.3], dtype=xp.float32)
    z.requires_grad_()
    (g,) = autograd.grad(xp.sum(xp.real(z / y)), [z])
    tz = torch.tensor([1.0 + 2.0j, -0.5 + 0.25j], dtype=torch.complex128, requires_grad=True)
    ty = torch.tensor([0.1, 0.3], dtype=torch.float32)
    (r,) = torch.autograd.grad(torch.real(tz / ty).sum(), [tz])
    np.testing.assert_allclose(to_numpy(g), r.numpy(), rtol=1e-13)


@pytest.mark.parametrize("backend", ["numpy", "torch", "array_api_strict"])
def test_matmul_operator_of_mixed_float_dtypes(backend):
    """``a @ w`` promotes as ``matmul`` does on every backend (torch's own ``@`` refuses
    float32 with float64), and so do the products of its VJP on backend arrays."""
    xp = ag.namespace(backend)
    a = xp.asarray([[1.0, 2.0], [3.0, 4.0]], dtype=xp.float32)
    w = xp.asarray([[1.0, 2.0], [3.0, 5.0]], dtype=xp.float64)
    a.requires_grad_()
    w.requires_grad_()
    y, z = a @ w, w @ a
    assert y.dtype == xp.float64 and z.dtype == xp.float64
    ga, gw = autograd.grad(xp.sum(y * y) + xp.sum(z), [a, w])
    assert ga.dtype == xp.float32 and gw.dtype == xp.float64
    ta = torch.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=torch.float64, requires_grad=True)
    tw = torch.tensor([[1.0, 2.0], [3.0, 5.0]], dtype=torch.float64, requires_grad=True)
    ra, rw = torch.autograd.grad(((ta @ tw) ** 2).sum() + (tw @ ta).sum(), [ta, tw])
    np.testing.assert_allclose(to_numpy(ga), ra.numpy(), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(gw), rw.numpy(), rtol=1e-13)

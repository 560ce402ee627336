"""What PyTorch and JAX users reach for, on every backend, compared with PyTorch in float64.

``Function.mark_dirty`` and ``Function.save_for_forward`` (``torch.autograd.Function``),
``custom_vjp(nondiff_argnums=...)`` (``jax.custom_vjp``), keyword arguments of
``custom_vjp`` and ``checkpoint`` functions, the warning of ``.grad`` on a
non-leaf with ``retain_grad()`` (PyTorch), and the refusal of integer and
boolean head gradients, cotangents and tangents (JAX; PyTorch for tangents).
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import pytest
import torch
import torch.autograd.forward_ad as fwad

import arrayapi_autograd as ag
from arrayapi_autograd import autograd
from oracle import to_numpy

A = np.array([0.4, -1.1, 2.0])
W = np.array([1.5, 0.5, -2.0])


def _array(xp, values, requires_grad=False):
    a = xp.asarray(np.array(values, dtype=np.float64))
    return a.requires_grad_() if requires_grad else a


def _torch(values, requires_grad=True):
    return torch.tensor(values, dtype=torch.float64, requires_grad=requires_grad)


# ---------------------------------------------------------------------------
# Function.mark_dirty
# ---------------------------------------------------------------------------

class MulInPlace(ag.Function):
    """``x *= w`` in place: the input becomes the output."""

    @staticmethod
    def forward(ctx, x, w):
        x *= w
        ctx.mark_dirty(x)
        ctx.save_for_backward(x, w)  # x is the output now (PyTorch saves it as one)
        return x

    @staticmethod
    def backward(ctx, ct):
        out, w = ctx.saved_tensors
        return ct * w, ct * out / w


class TorchMulInPlace(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, w):
        x.mul_(w)
        ctx.mark_dirty(x)
        ctx.save_for_backward(x, w)
        return x

    @staticmethod
    def backward(ctx, ct):
        out, w = ctx.saved_tensors
        return ct * w, ct * out / w


def test_mark_dirty_rebases_the_input_as_in_pytorch(xp):
    a, w = _array(xp, A, True), _array(xp, W, True)
    x = a * 1.0
    y = MulInPlace.apply(x, w)
    assert y is x and not x.is_leaf and x.requires_grad
    np.testing.assert_allclose(to_numpy(x), A * W)
    xp.sum(xp.sin(y) * a).backward()

    at, wt = _torch(A), _torch(W)
    xt = at * 1.0
    yt = TorchMulInPlace.apply(xt, wt)
    assert yt is xt
    torch.sum(torch.sin(yt) * at).backward()
    np.testing.assert_allclose(to_numpy(a.grad), at.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(to_numpy(w.grad), wt.grad.numpy(), rtol=1e-15)
    # the backward is written with wrapped operations: second order (reverse over reverse)
    hess = ag.jacobian(ag.grad(lambda b: xp.sum(MulInPlace.apply(xp.sin(b), _array(xp, W))
                                                ** 3)))(_array(xp, A))
    expected = torch.autograd.functional.hessian(
        lambda b: torch.sum(TorchMulInPlace.apply(torch.sin(b), _torch(W, False)) ** 3),
        _torch(A, False))
    np.testing.assert_allclose(to_numpy(hess), expected.numpy(), rtol=1e-14, atol=1e-15)


def test_mark_dirty_version_checks_and_errors(xp):
    a, w = _array(xp, A, True), _array(xp, W, True)
    x = a * 1.0
    saved_before = x * x  # saves x, which the Function then changes in place
    MulInPlace.apply(x, w)
    # the node that saved x keeps its old values (copy on write; PyTorch raises)
    xp.sum(saved_before).backward()
    np.testing.assert_allclose(to_numpy(a.grad), 2.0 * A)
    a.grad = None
    # so does the Function's own saved output, modified afterwards
    x2 = a * 1.0
    y2 = MulInPlace.apply(x2, w)
    with ag.no_grad():
        y2 += 1.0
    xp.sum(y2 * a).backward()
    # d/da of sum(y2 * a): y2's values (A W + 1) plus a through the Function (a * W)
    np.testing.assert_allclose(to_numpy(a.grad), (A * W + 1.0) + A * W)
    # a leaf that requires a gradient cannot be modified in place while recording
    with pytest.raises(RuntimeError, match="leaf .* modified in place"):
        MulInPlace.apply(_array(xp, A, True), w)

    class Forgets(ag.Function):
        @staticmethod
        def forward(ctx, x):
            x *= 2.0
            ctx.mark_dirty(x)
            return x * 1.0

        @staticmethod
        def backward(ctx, ct):
            return 2.0 * ct

    with pytest.raises(RuntimeError, match="did not return them"):
        Forgets.apply(a * 1.0)


def test_mark_dirty_on_a_view_writes_through_to_the_base(xp):
    a, w = _array(xp, A, True), _array(xp, W[1:], True)
    base = a * 1.0
    view = base[1:]
    MulInPlace.apply(view, w)
    np.testing.assert_allclose(to_numpy(base), np.concatenate([A[:1], A[1:] * W[1:]]))
    xp.sum(base ** 2 * a).backward()

    at, wt = _torch(A), _torch(W[1:])
    bt = at * 1.0
    TorchMulInPlace.apply(bt[1:], wt)
    torch.sum(bt ** 2 * at).backward()
    np.testing.assert_allclose(to_numpy(a.grad), at.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(to_numpy(w.grad), wt.grad.numpy(), rtol=1e-15)


def test_mark_dirty_without_recording_updates_the_values(xp):
    """Under no_grad (an optimizer's step) the values change and the variable stays one."""
    a, w = _array(xp, A, True), _array(xp, W)
    with ag.no_grad():
        y = MulInPlace.apply(a, w)
    assert y is a and a.is_leaf and a.requires_grad
    np.testing.assert_allclose(to_numpy(a), A * W)


# ---------------------------------------------------------------------------
# Function.save_for_forward
# ---------------------------------------------------------------------------

class _CubeBody:
    """``x**3`` written once, run as our ``Function`` and as PyTorch's."""

    @staticmethod
    def forward(ctx, x):
        square = x * x
        ctx.save_for_backward(x)
        ctx.save_for_forward(square)  # an intermediate, for jvp only
        return square * x

    @staticmethod
    def backward(ctx, ct):
        (x,) = ctx.saved_tensors
        return 3.0 * x * x * ct

    @staticmethod
    def jvp(ctx, t):
        (square,) = ctx.saved_tensors  # save_for_forward's arrays in jvp
        return 3.0 * square * t


class Cube(_CubeBody, ag.Function):
    pass


class TorchCube(_CubeBody, torch.autograd.Function):
    pass


def test_save_for_forward_matches_torch(xp):
    tangent = np.array([1.0, -2.0, 0.5])
    value, t = ag.jvp(Cube.apply, (_array(xp, A),), (_array(xp, tangent),))
    with fwad.dual_level():
        dual = fwad.make_dual(_torch(A, False), _torch(tangent, False))
        expected = fwad.unpack_dual(TorchCube.apply(dual))
    np.testing.assert_allclose(to_numpy(value), expected.primal.numpy(), rtol=1e-15)
    np.testing.assert_allclose(to_numpy(t), expected.tangent.numpy(), rtol=1e-15)
    # the backward still reads save_for_backward's arrays
    a = _array(xp, A, True)
    xp.sum(Cube.apply(a)).backward()
    at = _torch(A)
    torch.sum(TorchCube.apply(at)).backward()
    np.testing.assert_allclose(to_numpy(a.grad), at.grad.numpy(), rtol=1e-15)


def test_jvp_without_save_for_forward_sees_save_for_backward(xp):
    class Square(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, ct):
            (x,) = ctx.saved_tensors
            return 2.0 * x * ct

        @staticmethod
        def jvp(ctx, t):
            (x,) = ctx.saved_tensors
            return 2.0 * x * t

    _, t = ag.jvp(Square.apply, (_array(xp, A),), (_array(xp, W),))
    np.testing.assert_allclose(to_numpy(t), 2.0 * A * W, rtol=1e-15)


# ---------------------------------------------------------------------------
# custom_vjp(nondiff_argnums=...)
# ---------------------------------------------------------------------------

def test_nondiff_argnums_as_in_jax(xp):
    """JAX's documented example: a function argument, and bwd's rule wins."""

    @functools.partial(ag.custom_vjp, nondiff_argnums=(0,))
    def app(f, x):
        return f(x)

    def app_fwd(f, x):
        return app(f, x), x

    def app_bwd(f, x, ct):
        return (5.0 * ct,)

    app.defvjp(app_fwd, app_bwd)
    g = ag.grad(lambda x: xp.sum(app(lambda y: y ** 2, x)))(_array(xp, A))
    np.testing.assert_allclose(to_numpy(g), [5.0, 5.0, 5.0])
    np.testing.assert_allclose(to_numpy(app(lambda y: y ** 2, _array(xp, A))), A ** 2)


def _make_power(xp):
    @functools.partial(ag.custom_vjp, nondiff_argnums=(1,))
    def power(x, n, scale):
        return scale * x ** n

    def fwd(x, n, scale):
        return power(x, n, scale), (x, scale)

    def bwd(n, residuals, ct):
        x, scale = residuals
        return ct * scale * n * x ** (n - 1), ct * x ** n

    power.defvjp(fwd, bwd)
    return power


def test_nondiff_argnums_gradients_match_torch(xp):
    power = _make_power(xp)
    x, s = _array(xp, A, True), _array(xp, W, True)
    y = power(x, 3, scale=s)  # the differentiable scale by keyword
    xp.sum(xp.sin(y)).backward()
    xt, st = _torch(A), _torch(W)
    torch.sum(torch.sin(st * xt ** 3)).backward()
    np.testing.assert_allclose(to_numpy(x.grad), xt.grad.numpy(), rtol=1e-14)
    np.testing.assert_allclose(to_numpy(s.grad), st.grad.numpy(), rtol=1e-14)
    # bwd is written with wrapped operations: second order, against torch
    hess = ag.hessian(lambda a: xp.sum(power(a, 3, _array(xp, W))))(_array(xp, A))
    expected = torch.autograd.functional.hessian(
        lambda a: torch.sum(_torch(W, False) * a ** 3), _torch(A, False))
    np.testing.assert_allclose(to_numpy(hess), expected.numpy(), rtol=1e-14, atol=1e-15)


def test_nondiff_argnums_errors(xp):
    power = _make_power(xp)
    with pytest.raises(TypeError, match="nondiff_argnums.*requires a gradient"):
        power(_array(xp, A), _array(xp, A, True), 1.0)

    @functools.partial(ag.custom_vjp, nondiff_argnums=(0, 0))
    def twice(n, x):
        return x * n

    twice.defvjp(lambda n, x: (x * n, None), lambda n, r, ct: (ct * n,))
    with pytest.raises(ValueError, match="nondiff_argnums=\\(0, 0\\).*distinct"):
        twice(2.0, _array(xp, A, True))

    @functools.partial(ag.custom_vjp, nondiff_argnums=(5,))
    def far(n, x):
        return x * n

    with pytest.raises(ValueError, match="nondiff_argnums=\\(5,\\)"):
        far(2.0, _array(xp, A, True))


# ---------------------------------------------------------------------------
# keyword arguments of custom_vjp and checkpoint functions
# ---------------------------------------------------------------------------

def test_keywords_carry_arrays_that_need_gradients(xp):
    @ag.custom_vjp
    def affine(x, w, b=0.0):
        return x * w + b

    affine.defvjp(lambda x, w, b=0.0: (affine(x, w, b), (x, w)),
                  lambda res, ct: (ct * res[1], ct * res[0], ct))
    layer = ag.checkpoint(lambda x, *, w, b: xp.tanh(affine(x, w=w, b=b)))

    x, w, b = _array(xp, A, True), _array(xp, W, True), _array(xp, [0.3], True)
    xp.sum(layer(x, w=w, b=b) ** 2).backward()
    xt, wt, bt = _torch(A), _torch(W), _torch([0.3])
    torch.sum(torch.tanh(xt * wt + bt) ** 2).backward()
    for ours, theirs in ((x, xt), (w, wt), (b, bt)):
        np.testing.assert_allclose(to_numpy(ours.grad), theirs.grad.numpy(), rtol=1e-12,
                                   atol=1e-15)


# ---------------------------------------------------------------------------
# .grad of a non-leaf, retain_grad
# ---------------------------------------------------------------------------

def test_grad_of_a_non_leaf_warns_as_in_pytorch(xp):
    x = _array(xp, A, True)
    h = xp.sin(x)
    with pytest.warns(UserWarning, match="not a leaf.*retain_grad"):
        assert h.grad is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is None  # a leaf: no warning
        assert _array(xp, A).grad is None  # no gradient at all: no warning
        assert not h.retains_grad


def test_retain_grad_matches_torch(xp):
    x = _array(xp, A, True)
    h = xp.sin(x) * x
    h.retain_grad()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert h.retains_grad and h.grad is None  # none until a backward
        loss = xp.sum(h ** 2)
        loss.backward(retain_graph=True)
        first = to_numpy(h.grad)
        loss.backward()  # accumulates, as a leaf's grad does
        second = to_numpy(h.grad)
    xt = _torch(A)
    ht = torch.sin(xt) * xt
    ht.retain_grad()
    losst = torch.sum(ht ** 2)
    losst.backward(retain_graph=True)
    np.testing.assert_allclose(first, ht.grad.numpy(), rtol=1e-15)
    losst.backward()
    np.testing.assert_allclose(second, ht.grad.numpy(), rtol=1e-15)
    np.testing.assert_allclose(to_numpy(x.grad), xt.grad.numpy(), rtol=1e-15)
    with pytest.raises(RuntimeError, match="retain_grad.*does not require a gradient"):
        _array(xp, A).retain_grad()


# ---------------------------------------------------------------------------
# integer and boolean head gradients, cotangents and tangents
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_integer_head_gradients_cotangents_and_tangents_are_refused(xp, dtype):
    bad = xp.asarray(np.ones(3, dtype=dtype))
    x = _array(xp, A, True)
    y = x * 2.0
    match = f"dtype {dtype}.*must be floating-point"
    with pytest.raises(TypeError, match="head gradient.*" + match):
        y.backward(bad, retain_graph=True)
    with pytest.raises(TypeError, match=match):
        autograd.grad([y], [x], head_grads=[bad], retain_graph=True)
    with pytest.raises(TypeError, match=match):
        autograd.backward([y], head_grads=[bad], retain_graph=True)
    _, pullback = ag.vjp(lambda a: a * 2.0, _array(xp, A))
    with pytest.raises(TypeError, match=match):
        pullback(bad)
    with pytest.raises(TypeError, match="tangent has " + match):
        ag.jvp(lambda a: a * 2.0, (_array(xp, A),), (bad,))
    assert x.grad is None  # nothing was written


def test_python_numbers_as_head_gradients_and_tangents_take_the_dtype(xp):
    x = _array(xp, 0.7, True)
    y = xp.sin(x)
    y.backward(2)
    xt = _torch(0.7)
    torch.sin(xt).backward(torch.tensor(2.0, dtype=torch.float64))
    np.testing.assert_allclose(to_numpy(x.grad), xt.grad.numpy(), rtol=1e-15)
    _, t = ag.jvp(xp.sin, (_array(xp, 0.7),), (3,))
    assert t.dtype == xp.float64
    np.testing.assert_allclose(to_numpy(t), 3.0 * np.cos(0.7), rtol=1e-15)

"""User-defined rules (custom_vjp, custom_jvp, Function) and checkpoint, on every backend.

Expected values come from PyTorch (``torch.func`` of the same function written
with torch ops, or ``torch.autograd.Function``) and from closed forms.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import arrayapi_autograd as ag
from arrayapi_autograd import _tape
from oracle import to_numpy

X = np.array([0.4, -1.1, 2.0])


@pytest.fixture
def x(xp):
    return xp.asarray(X, dtype=xp.float64)


# ---------------------------------------------------------------------------
# custom_vjp
# ---------------------------------------------------------------------------

def _make_sin(xp):
    @ag.custom_vjp
    def my_sin(x):
        return xp.sin(x)

    def fwd(x):
        return xp.sin(x), (xp.cos(x),)

    def bwd(residuals, ct):
        (c,) = residuals
        return (ct * c,)

    my_sin.defvjp(fwd, bwd)
    return my_sin


def test_custom_vjp_orders(xp, x):
    my_sin = _make_sin(xp)
    f = lambda a: xp.sum(my_sin(a))  # noqa: E731
    np.testing.assert_allclose(to_numpy(ag.grad(f)(x)), np.cos(X))
    # bwd is written with wrapped ops and its residuals keep their history: 2nd order
    np.testing.assert_allclose(to_numpy(ag.grad(lambda a: xp.sum(ag.grad(f)(a)))(x)), -np.sin(X))
    np.testing.assert_allclose(to_numpy(ag.hessian(f)(x)), np.diag(-np.sin(X)), atol=1e-15)
    out, t = ag.jvp(my_sin, (x,), (xp.ones_like(x),))
    np.testing.assert_allclose(to_numpy(t), np.cos(X))
    # backward() on a recorded graph, as for any op
    y = xp.asarray(X, dtype=xp.float64)
    y.requires_grad_()
    xp.sum(my_sin(y) * y).backward()
    np.testing.assert_allclose(to_numpy(y.grad), np.cos(X) * X + np.sin(X))


def test_custom_vjp_rule_is_used(xp, x):
    """A gradient-clipping rule (JAX's documentation example): the rule wins over the math."""
    @ag.custom_vjp
    def clip_gradient(lo, hi, a):
        return a

    clip_gradient.defvjp(lambda lo, hi, a: (a, (lo, hi)),
                         lambda res, ct: (None, None, xp.clip(ct, min=res[0], max=res[1])))
    g = ag.grad(lambda a: xp.sum(3.0 * clip_gradient(-1.0, 1.0, a) ** 2))(x)
    np.testing.assert_allclose(to_numpy(g), np.clip(6.0 * X, -1.0, 1.0))


def test_custom_vjp_pytrees_and_errors(xp, x):
    @ag.custom_vjp
    def f(d):
        return {"s": d["a"] * d["b"], "t": xp.sum(d["a"])}

    f.defvjp(lambda d: (f.fun(d), d),
             lambda d, ct: ({"a": ct["s"] * d["b"] + ct["t"], "b": ct["s"] * d["a"]},))
    y = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64)
    ga, gb = ag.grad(lambda a, b: xp.sum(f({"a": a, "b": b})["s"]) + f({"a": a, "b": b})["t"],
                     argnums=(0, 1))(x, y)
    np.testing.assert_allclose(to_numpy(ga), [2.0, 3.0, 4.0])
    np.testing.assert_allclose(to_numpy(gb), X)

    @ag.custom_vjp
    def undefined(a):
        return a

    with pytest.raises(TypeError, match="defvjp"):
        ag.grad(lambda a: xp.sum(undefined(a)))(x)

    @ag.custom_vjp
    def wrong(a):
        return a

    wrong.defvjp(lambda a: (a, None), lambda r, ct: (ct, ct))
    with pytest.raises(ValueError, match="1 value"):
        ag.grad(lambda a: xp.sum(wrong(a)))(x)


# ---------------------------------------------------------------------------
# custom_jvp
# ---------------------------------------------------------------------------

def test_custom_jvp_forward_and_reverse(xp, x):
    @ag.custom_jvp
    def softplus(a):
        return xp.log1p(xp.exp(a))

    @softplus.defjvp
    def softplus_jvp(primals, tangents):
        (a,), (t,) = primals, tangents
        return softplus(a), t / (1.0 + xp.exp(-a))

    sig = 1 / (1 + np.exp(-X))
    f = lambda a: xp.sum(softplus(a))  # noqa: E731
    _, t = ag.jvp(softplus, (x,), (xp.ones_like(x),))
    np.testing.assert_allclose(to_numpy(t), sig)
    # reverse mode transposes the rule
    np.testing.assert_allclose(to_numpy(ag.grad(f)(x)), sig)
    # and both orders of the second derivative
    np.testing.assert_allclose(to_numpy(ag.grad(lambda a: xp.sum(ag.grad(f)(a)))(x)),
                               sig * (1 - sig))
    np.testing.assert_allclose(to_numpy(ag.hessian(f)(x)), np.diag(sig * (1 - sig)),
                               atol=1e-15)


def test_custom_jvp_rule_is_used(xp, x):
    @ag.custom_jvp
    def f(a, b):
        return a * b

    f.defjvp(lambda p, t: (f(*p), 2.0 * t[0] * p[1] + 3.0 * t[1] * p[0]))
    ga, gb = ag.grad(lambda a, b: xp.sum(f(a, b)), argnums=(0, 1))(x, 2.0 * x)
    np.testing.assert_allclose(to_numpy(ga), 4.0 * X)
    np.testing.assert_allclose(to_numpy(gb), 3.0 * X)


# ---------------------------------------------------------------------------
# Function (torch.autograd.Function)
# ---------------------------------------------------------------------------

def _make_function():
    class ScaledExp(ag.Function):
        @staticmethod
        def forward(ctx, a, scale):
            out = scale * _exp(a)
            ctx.save_for_backward(a, out)
            ctx.scale = scale
            return out

        @staticmethod
        def backward(ctx, ct):
            a, out = ctx.saved_tensors
            return ct * out, None

        @staticmethod
        def jvp(ctx, t, t_scale):
            a, out = ctx.saved_tensors
            return t * out

    return ScaledExp


def _exp(a):
    return a.__array_namespace__().exp(a)


class TorchScaledExp(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, scale):
        out = scale * torch.exp(a)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, ct):
        a, out = ctx.saved_tensors
        return ct * out, None


def test_function_matches_torch_function(xp, x):
    ScaledExp = _make_function()
    a = xp.asarray(X, dtype=xp.float64)
    a.requires_grad_()
    y = ScaledExp.apply(a, 2.0)
    xp.sum(y * y).backward()
    at = torch.asarray(X).requires_grad_()
    torch.sum(TorchScaledExp.apply(at, 2.0) ** 2).backward()
    np.testing.assert_allclose(to_numpy(a.grad), at.grad.numpy())
    # saved outputs come back with their history: the backward is differentiable
    f = lambda b: xp.sum(ScaledExp.apply(b, 2.0))  # noqa: E731
    np.testing.assert_allclose(to_numpy(ag.grad(lambda b: xp.sum(ag.grad(f)(b)))(x)),
                               2.0 * np.exp(X))
    _, t = ag.jvp(lambda b: ScaledExp.apply(b, 2.0), (x,), (xp.ones_like(x),))
    np.testing.assert_allclose(to_numpy(t), 2.0 * np.exp(X))


def test_function_needs_input_grad_and_no_jvp(xp, x):
    seen = {}

    class Double(ag.Function):
        @staticmethod
        def forward(ctx, a, b):
            seen["needs"] = ctx.needs_input_grad
            seen["recording"] = _tape.state.recording
            return 2.0 * a + b

        @staticmethod
        def backward(ctx, ct):
            return 2.0 * ct, ct

    y = xp.asarray(X, dtype=xp.float64)
    y.requires_grad_()
    out = Double.apply(y, x)
    assert seen == {"needs": (True, False), "recording": False}
    xp.sum(out).backward()
    np.testing.assert_allclose(to_numpy(y.grad), [2.0, 2.0, 2.0])
    with pytest.raises(NotImplementedError, match="jvp"):
        ag.jvp(lambda a: Double.apply(a, a), (x,), (x,))


# ---------------------------------------------------------------------------
# checkpoint
# ---------------------------------------------------------------------------

def _block(a):
    xp = a.__array_namespace__()
    for _ in range(6):
        a = xp.sin(a) * a + xp.exp(-a * a)
    return a


def saved_bytes(out) -> int:
    """Bytes of the arrays the tape keeps for the backward of ``out`` (inputs and outputs)."""
    seen_nodes, seen_data, total = set(), set(), 0
    stack = [out._node]
    while stack:
        node = stack.pop()
        if not isinstance(node, _tape.Node) or id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        kept = []
        if node.op.reads != () and node.primals is not None:
            kept += [p._data for p in node.primals if isinstance(p, ag.Array)]
        if node.out is not None:
            kept += list(node.out)
        for data in kept:
            if id(data) not in seen_data:
                seen_data.add(id(data))
                total += np.asarray(data).nbytes if not isinstance(data, torch.Tensor) \
                    else data.nbytes
        stack += [e[0] for e in node.edges if e is not None]
    return total


def test_checkpoint_values_and_orders(xp, x):
    layer = ag.checkpoint(_block)
    f = lambda a: xp.sum(layer(a))  # noqa: E731
    f0 = lambda a: xp.sum(_block(a))  # noqa: E731
    np.testing.assert_allclose(to_numpy(ag.grad(f)(x)), to_numpy(ag.grad(f0)(x)), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(ag.hessian(f)(x)), to_numpy(ag.hessian(f0)(x)),
                               rtol=1e-10, atol=1e-12)
    g3 = ag.grad(lambda a: xp.sum(ag.grad(lambda b: xp.sum(ag.grad(f)(b)))(a)))(x)
    g3_ref = ag.grad(lambda a: xp.sum(ag.grad(lambda b: xp.sum(ag.grad(f0)(b)))(a)))(x)
    np.testing.assert_allclose(to_numpy(g3), to_numpy(g3_ref), rtol=1e-10)
    np.testing.assert_allclose(to_numpy(ag.jvp(f, (x,), (x,))[1]),
                               to_numpy(ag.jvp(f0, (x,), (x,))[1]), rtol=1e-12)


def test_checkpoint_saves_memory(xp):
    a = xp.asarray(np.linspace(-1, 1, 1000), dtype=xp.float64)
    a.requires_grad_()
    plain = xp.sum(_block(a))
    checkpointed = xp.sum(ag.checkpoint(_block)(a))
    nbytes = 1000 * 8
    # checkpoint keeps the input (and the final sum's input); the plain graph every intermediate
    assert saved_bytes(checkpointed) <= 2 * nbytes
    assert saved_bytes(plain) >= 10 * nbytes
    checkpointed.backward()
    g_ck = to_numpy(a.grad)
    a.grad = None
    plain.backward()
    np.testing.assert_allclose(g_ck, to_numpy(a.grad), rtol=1e-12)


def test_checkpoint_matches_torch(xp, x):
    def fn(a, w):
        return a * w + w ** 2 * a ** 3

    layer = ag.checkpoint(fn)
    w = 0.7
    a = xp.asarray(X, dtype=xp.float64)
    a.requires_grad_()
    wt = xp.asarray(w, dtype=xp.float64)
    wt.requires_grad_()
    xp.sum(layer(a, wt)).backward()
    at = torch.asarray(X).requires_grad_()
    wtt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    torch.sum(torch.utils.checkpoint.checkpoint(fn, at, wtt, use_reentrant=False)).backward()
    np.testing.assert_allclose(to_numpy(a.grad), at.grad.numpy())
    np.testing.assert_allclose(float(wt.grad), float(wtt.grad))
    assert math.isfinite(float(wt.grad))


# --- found by a user's tests ----------------------------------------------------


def test_custom_vjp_fwd_may_call_the_function_itself(xp):
    # JAX's documented pattern: inside fwd, f(x) is the primal function
    @ag.custom_vjp
    def f(x):
        return xp.sin(x)

    f.defvjp(lambda x: (f(x), xp.cos(x)), lambda cos_x, ct: (cos_x * ct * 2.0,))
    x = xp.asarray([0.5, 1.0], dtype=xp.float64)
    g = ag.grad(lambda a: xp.sum(f(a)))(x)
    np.testing.assert_allclose(to_numpy(g), 2.0 * np.cos([0.5, 1.0]), rtol=1e-12)


def test_checkpoint_refuses_a_closed_over_variable(xp):
    w = xp.asarray([2.0], dtype=xp.float64)
    w.requires_grad_()
    f = ag.checkpoint(lambda a: a * w)
    x = xp.asarray([1.0, 2.0], dtype=xp.float64)
    x.requires_grad_()
    y = xp.sum(f(x))
    with pytest.raises(RuntimeError, match="closes over it.*Pass that array as an argument"):
        y.backward()
    # passed as an argument, it gets its gradient
    g = ag.checkpoint(lambda a, v: a * v)
    xp.sum(g(x, w)).backward()
    np.testing.assert_allclose(to_numpy(w.grad), [3.0])


def test_checkpoint_replays_the_random_generator(xp):
    f = ag.checkpoint(lambda a: a * xp.random.uniform(size=(3,), dtype=xp.float64))
    x = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64)
    x.requires_grad_()
    y = f(x)
    y.backward(xp.ones(3, dtype=xp.float64))
    # the gradient is the multiplier the forward drew
    np.testing.assert_allclose(to_numpy(x.grad), to_numpy(y.detach() / x.detach()), rtol=1e-12)


def test_custom_rules_that_do_not_return_a_pair_raise(xp):
    # an array is never unpacked as (output, tangent): that gave a silently wrong tangent
    @ag.custom_jvp
    def square(x):
        return x * x

    square.defjvp(lambda primals, tangents: 2.0 * primals[0] * tangents[0])
    x = xp.reshape(xp.arange(6.0, dtype=xp.float64), (2, 3))
    with pytest.raises(TypeError, match=r"jvp rule of 'square' must return a pair"):
        ag.jvp(square, (x,), (xp.ones((2, 3), dtype=xp.float64),))

    @ag.custom_vjp
    def cube(x):
        return x * x * x

    cube.defvjp(lambda x: x * x * x, lambda residuals, ct: (ct,))
    with pytest.raises(TypeError, match=r"fwd rule of 'cube' must return a pair"):
        ag.grad(lambda a: xp.sum(cube(a)))(xp.asarray([1.0, 2.0], dtype=xp.float64))


def test_keyword_arguments(xp, x):
    """Keywords reach the rules positionally (JAX's resolve_kwargs, defaults filled in);
    checkpoint passes them through (torch.utils.checkpoint), arrays among them too."""

    @ag.custom_vjp
    def scaled_sin(a, scale=2.0):
        return xp.sin(a) * scale

    def fwd(a, scale=2.0):
        return scaled_sin(a, scale), (a, scale)

    def bwd(residuals, ct):
        a, scale = residuals
        return ct * xp.cos(a) * scale, None

    scaled_sin.defvjp(fwd, bwd)
    g = ag.grad(lambda a: xp.sum(scaled_sin(a, scale=3.0)))(x)
    np.testing.assert_allclose(to_numpy(g), 3.0 * np.cos(X))

    layer = ag.checkpoint(lambda a, w=None: xp.sin(a) * w)
    w = xp.asarray(np.array([2.0, 3.0, 4.0]))
    np.testing.assert_allclose(to_numpy(ag.grad(lambda a: xp.sum(layer(a, w=w)))(x)),
                               np.cos(X) * [2.0, 3.0, 4.0])
    np.testing.assert_allclose(to_numpy(ag.grad(lambda v: xp.sum(layer(x, w=v)))(w)),
                               np.sin(X))

    @ag.custom_jvp
    def keyword_only(a, *, k):
        return a * k

    keyword_only.defjvp(lambda p, t: (keyword_only(*p), t[0]))
    with pytest.raises(TypeError, match="keyword-only parameter.*k"):
        ag.grad(lambda a: xp.sum(keyword_only(a, k=2.0)))(x)
    with pytest.raises(TypeError, match="scaled_sin"):
        ag.grad(lambda a: xp.sum(scaled_sin(a, nope=1.0)))(x)


def test_a_bwd_returning_a_smaller_shape_is_named(xp, x):
    """A cotangent may have the broadcast output's shape (summed back), never a smaller one."""

    @ag.custom_vjp
    def square(a):
        return a * a

    square.defvjp(lambda a: (a * a, a), lambda a, ct: (xp.ones((1,), dtype=xp.float64),))
    with pytest.raises(ValueError, match=r"returned a cotangent of shape \(1,\) for an input of "
                                         r"shape \(3,\).*never a smaller one"):
        ag.grad(lambda a: xp.sum(square(a)))(x)

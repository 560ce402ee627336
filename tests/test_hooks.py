"""``x.register_hook``: inspect and replace cotangents, on leaves and intermediates.

Each case is compared with the same hooks on PyTorch tensors (``Tensor.register_hook``).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import arrayapi_autograd as ag
from arrayapi_autograd import autograd
from oracle import to_numpy

X = np.array([0.5, -1.0, 2.0])


def _run(make_leaf, hooks_on_leaf, hooks_on_mid, sin, total):
    """Build x -> h = sin(x) * x -> sum(h ** 2) with hooks; returns (x, seen, handles)."""
    x = make_leaf()
    seen = {"x": [], "h": []}
    h = sin(x) * x
    handles = []
    for hook in hooks_on_mid:
        handles.append(h.register_hook(hook(seen["h"])))
    for hook in hooks_on_leaf:
        handles.append(x.register_hook(hook(seen["x"])))
    return x, h, seen, handles


def _record(store):
    def hook(ct):
        store.append(to_numpy(ct).copy())
    return hook


def _double(store):
    def hook(ct):
        store.append(to_numpy(ct).copy())
        return ct * 2.0
    return hook


@pytest.mark.parametrize("leaf_hooks,mid_hooks", [
    ((_record,), ()),
    ((), (_record,)),
    ((_double,), (_record,)),
    ((_record,), (_double,)),
    ((_double, _double), (_double, _record)),
])
def test_hooks_match_torch(xp, leaf_hooks, mid_hooks):
    def ours():
        a = xp.asarray(X, dtype=xp.float64)
        return a.requires_grad_()

    x, h, seen, _ = _run(ours, leaf_hooks, mid_hooks, xp.sin, xp.sum)
    xp.sum(h ** 2).backward()
    tx, th, tseen, _ = _run(lambda: torch.asarray(X).requires_grad_(), leaf_hooks, mid_hooks,
                            torch.sin, torch.sum)
    torch.sum(th ** 2).backward()
    np.testing.assert_allclose(to_numpy(x.grad), tx.grad.numpy())
    for key in ("x", "h"):
        assert len(seen[key]) == len(tseen[key])
        for a, b in zip(seen[key], tseen[key]):
            np.testing.assert_allclose(a, b)


def test_handle_remove(xp):
    x = xp.asarray(X, dtype=xp.float64)
    x.requires_grad_()
    calls = []
    handle = x.register_hook(lambda ct: calls.append(1) or ct * 0.0)
    xp.sum(x * x).backward()
    np.testing.assert_allclose(to_numpy(x.grad), 0.0)
    handle.remove()
    handle.remove()  # idempotent
    x.grad = None
    xp.sum(x * x).backward()
    np.testing.assert_allclose(to_numpy(x.grad), 2 * X)
    assert calls == [1]


def test_intermediate_hook_changes_upstream_only(xp):
    x = xp.asarray(X, dtype=xp.float64)
    x.requires_grad_()
    y = x * 3.0
    z = y * y
    handle = y.register_hook(lambda ct: xp.zeros_like(ct))
    w = xp.sum(z) + xp.sum(x)
    w.backward(retain_graph=True)
    # the path through y is cut; the direct path through sum(x) remains
    np.testing.assert_allclose(to_numpy(x.grad), np.ones(3))
    handle.remove()
    x.grad = None
    w.backward()
    np.testing.assert_allclose(to_numpy(x.grad), 18 * X + 1)


def test_hooks_fire_in_autograd_grad_and_transforms(xp):
    x = xp.asarray(X, dtype=xp.float64)
    x.requires_grad_()
    seen = []
    y = xp.sin(x)
    y.register_hook(lambda ct: seen.append("y") or ct * 10.0)
    (g,) = autograd.grad(xp.sum(y), [x])
    np.testing.assert_allclose(to_numpy(g), 10 * np.cos(X))
    assert seen == ["y"] and x.grad is None
    # hooks registered inside a transformed function apply there; outer ones are not run
    x.register_hook(lambda ct: seen.append("x") or ct)

    def f(a):
        b = a * a
        b.register_hook(lambda ct: ct * 0.5)
        return xp.sum(b)

    np.testing.assert_allclose(to_numpy(ag.grad(f)(x)), X)
    assert seen == ["y"]


def test_hook_on_non_tracked_array_raises(xp):
    with pytest.raises(RuntimeError, match="hook"):
        xp.asarray([1.0]).register_hook(lambda ct: ct)


def test_a_hook_returning_a_wrong_shape_is_named_in_the_error(xp):
    x = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64)
    x.requires_grad_()
    y = x * 2.0
    y.register_hook(lambda ct: ct[:2])
    with pytest.raises(ValueError, match=r"hook '.*<lambda>' returned an array of shape "
                                         r"\(2,\) for a gradient of shape \(3,\)"):
        xp.sum(y * y).backward()


def test_hooks_must_be_callable_and_return_arrays(xp):
    x = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64)
    x.requires_grad_()
    with pytest.raises(TypeError, match="expects a callable hook.*got int 5"):
        x.register_hook(5)
    handle = x.register_hook(lambda ct: [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match="returned a list; a gradient hook must return an "
                                        r"array of the gradient's shape \(3,\)"):
        xp.sum(x * x).backward()
    handle.remove()
    x.register_hook(lambda ct: xp.flip(ct))  # a replacement of the right shape is used
    xp.sum(x * xp.asarray([1.0, 10.0, 100.0])).backward()
    np.testing.assert_array_equal(to_numpy(x.grad), [100.0, 10.0, 1.0])


def test_autograd_grad_runs_only_the_nodes_that_lead_to_a_target(xp):
    """As PyTorch's ``autograd.grad``: a branch that leads to no target is not run (its
    hooks do not fire, its saved values stay), whether or not every leaf is a target."""
    a = xp.asarray([0.5, -1.0], dtype=xp.float64)
    w = xp.asarray([3.0, 4.0], dtype=xp.float64)
    a.requires_grad_()
    w.requires_grad_()
    seen = []
    u = w * 2.0  # leads to w only
    u.register_hook(lambda ct: seen.append("u") or ct)
    out = xp.sum(a * u + xp.sin(a))
    (g_a,) = autograd.grad(out, [a], retain_graph=True)
    np.testing.assert_allclose(to_numpy(g_a), 2 * np.array([3.0, 4.0]) + np.cos([0.5, -1.0]))
    assert seen == []
    # every leaf a target: every node runs, the hook once
    g_a2, g_w = autograd.grad(out, [a, w], retain_graph=True)
    np.testing.assert_allclose(to_numpy(g_a2), to_numpy(g_a))
    np.testing.assert_allclose(to_numpy(g_w), 2 * np.array([0.5, -1.0]))
    assert seen == ["u"]
    # an intermediate target stops the sweep there: nothing above it runs
    (g_u,) = autograd.grad(out, [u])
    np.testing.assert_allclose(to_numpy(g_u), [0.5, -1.0])
    assert seen == ["u", "u"]
    (g_w_again,) = autograd.grad(xp.sum(u * u), [w])  # u's own node was not freed
    np.testing.assert_allclose(to_numpy(g_w_again), 8 * np.array([3.0, 4.0]))

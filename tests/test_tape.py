"""The tape: what is recorded, the gradient verbs, graph lifetime, in-place safety.

DESIGN.md, "Recording and gradients".  Every gradient is compared with
PyTorch's autograd (``tests/oracle.py``); every error of DESIGN.md is checked
with its message.
"""

from __future__ import annotations

import gc
import weakref

import array_api_compat.torch as torch_xp
import numpy as np
import pytest
import torch

import arrayapi_autograd as ag
from arrayapi_autograd import _tape, autograd, no_grad, stop_gradient
from arrayapi_autograd._array_object import _call, dispatch_one, dispatch_scope, dispatch_two
from arrayapi_autograd._op import Op, make_function
from oracle import assert_matches_torch, torch_grads_of, to_numpy


def _var(xp, values):
    return xp.asarray(np.asarray(values, dtype=np.float64), dtype=xp.float64).requires_grad_()


def _torch_var(values):
    return torch.tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# ---------------------------------------------------------------------------
# what is recorded
# ---------------------------------------------------------------------------


@pytest.fixture
def count_nodes():
    """A function giving the number of nodes created since the test began (every node
    takes the next number of the tape's sequence, which orders the backward)."""
    last = next(_tape._sequence)
    created = 0

    def count() -> int:
        nonlocal last, created
        now = next(_tape._sequence)
        created += now - last - 1
        last = now
        return created

    return count


def test_recording_is_on_by_default(xp, count_nodes):
    assert autograd.is_recording()
    x = _var(xp, [1.0, 2.0])
    y = xp.sin(x) * 2
    assert y.requires_grad and not y.is_leaf
    assert count_nodes() == 2


def test_nothing_recorded_when_no_input_requires_grad(xp, count_nodes):
    x = xp.asarray([1.0, 2.0])
    y = xp.sum(xp.sin(x) * 2 + x)
    assert y._node is None and not y.requires_grad
    assert count_nodes() == 0


def test_nothing_recorded_under_no_grad(xp, count_nodes):
    x = _var(xp, [1.0, 2.0])
    with no_grad():
        y = xp.sin(x) * 2
    assert y._node is None and not y.requires_grad
    with autograd.pause():
        z = x * x
    assert z._node is None
    assert count_nodes() == 0


def test_recording_scopes_nest_and_restore(xp):
    x = _var(xp, [1.0, 2.0])
    with autograd.pause():
        assert not autograd.is_recording()
        with autograd.record():
            assert autograd.is_recording()
            inner = x * x
            with no_grad():
                assert not autograd.is_recording()
                paused = x * x
            assert autograd.is_recording()
        assert not autograd.is_recording()
        outside = x * x
    assert autograd.is_recording()
    assert inner.requires_grad and not paused.requires_grad and not outside.requires_grad


def test_recording_scope_restored_after_an_exception(xp):
    with pytest.raises(ZeroDivisionError):
        with no_grad():
            1 / 0
    assert autograd.is_recording()


def test_recording_scopes_are_decorators(xp):
    x = _var(xp, [1.0, 2.0])

    @no_grad()
    def step(x):
        return x * 3

    assert not step(x).requires_grad
    assert autograd.is_recording()


def test_set_recording_returns_previous_state():
    assert autograd.set_recording(False) is True
    assert autograd.set_recording(True) is False


def test_outputs_without_derivative_are_not_recorded(xp, count_nodes):
    x = _var(xp, [1.0, 2.0])
    mask = x > 1.5
    assert not mask.requires_grad
    assert count_nodes() == 0


# ---------------------------------------------------------------------------
# variables: attach_grad and requires_grad_
# ---------------------------------------------------------------------------


def test_attach_grad_write_overwrites(xp):
    x = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64)
    x.attach_grad()
    assert to_numpy(x.grad).tolist() == [0.0, 0.0, 0.0]
    xp.sum(x * x).backward()
    xp.sum(x * x).backward()
    expected = torch_grads_of(lambda xp, x: xp.sum(x * x), [1.0, 2.0, 3.0])[0]
    np.testing.assert_allclose(to_numpy(x.grad), expected)
    assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
    assert type(x.grad) is ag.Array and x.grad.__array_namespace__() is xp


def test_attach_grad_add_accumulates_from_zeros(xp):
    x = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64)
    x.attach_grad(grad_req="add")
    for _ in range(3):
        xp.sum(xp.sin(x)).backward()
    expected = torch_grads_of(lambda xp, x: xp.sum(xp.sin(x)), [1.0, 2.0, 3.0])[0]
    np.testing.assert_allclose(to_numpy(x.grad), 3 * expected, rtol=1e-12)


def test_attach_grad_null_detaches(xp, count_nodes):
    x = xp.asarray([1.0, 2.0], dtype=xp.float64)
    x.attach_grad()
    x.attach_grad("null")
    assert x.grad is None and not x.requires_grad
    y = x * x
    assert not y.requires_grad and count_nodes() == 0


def test_attach_grad_rejects_unknown_grad_req(xp):
    x = xp.asarray([1.0], dtype=xp.float64)
    with pytest.raises(ValueError, match="grad_req must be one of 'write', 'add' or 'null'"):
        x.attach_grad("sum")


def test_requires_grad_accumulates_from_none(xp):
    x = _var(xp, [0.5, -1.0])
    assert x.requires_grad and x.is_leaf and x.grad is None
    xp.sum(x * x * x).backward()
    xp.sum(x * x * x).backward()
    expected = torch_grads_of(lambda xp, x: xp.sum(x * x * x), [0.5, -1.0])[0]
    np.testing.assert_allclose(to_numpy(x.grad), 2 * expected, rtol=1e-12)
    x.grad = None
    xp.sum(x).backward()
    assert to_numpy(x.grad).tolist() == [1.0, 1.0]


def test_requires_grad_false_on_a_leaf_and_on_a_result(xp):
    x = _var(xp, [1.0])
    y = x * 2
    with pytest.raises(RuntimeError, match=r"use y = y.detach\(\) instead"):
        y.requires_grad_(False)
    x.requires_grad_(False)
    assert not x.requires_grad and not (x * 2).requires_grad


@pytest.mark.parametrize("make", ["int", "bool"])
@pytest.mark.parametrize("how", ["attach_grad", "requires_grad_"])
def test_integer_and_boolean_arrays_cannot_require_grad(xp, make, how):
    x = xp.asarray([1, 2]) if make == "int" else xp.asarray([True, False])
    with pytest.raises(TypeError, match="Only floating-point and complex arrays can require "
                                        "gradients.*dtype"):
        getattr(x, how)()
    assert not x.requires_grad


# ---------------------------------------------------------------------------
# backward and grad
# ---------------------------------------------------------------------------


def test_backward_of_several_heads_with_head_grads(xp):
    a = _var(xp, [0.5, 2.0])
    b = a * a
    c = xp.sin(a)
    g_b, g_c = [1.0, -2.0], [3.0, 0.25]
    autograd.backward([b, c], [xp.asarray(g_b, dtype=xp.float64),
                               xp.asarray(g_c, dtype=xp.float64)])
    expected = torch_grads_of(
        lambda xp, a: xp.sum((a * a) * xp.asarray(g_b, dtype=xp.float64))
        + xp.sum(xp.sin(a) * xp.asarray(g_c, dtype=xp.float64)), [0.5, 2.0])[0]
    np.testing.assert_allclose(to_numpy(a.grad), expected, rtol=1e-12)


def test_backward_of_several_heads_default_head_grads_and_a_none(xp):
    a = _var(xp, [0.5, 2.0])
    autograd.backward([xp.exp(a), a * 3], [None, xp.asarray([1.0, 2.0], dtype=xp.float64)])
    expected = torch_grads_of(lambda xp, a: xp.sum(xp.exp(a))
                              + xp.sum(a * 3 * xp.asarray([1.0, 2.0], dtype=xp.float64)),
                              [0.5, 2.0])[0]
    np.testing.assert_allclose(to_numpy(a.grad), expected, rtol=1e-12)


def test_head_grad_count_must_match(xp):
    a = _var(xp, [1.0])
    with pytest.raises(ValueError, match="Got 2 heads but 1 head gradients"):
        autograd.backward([a * 2, a * 3], [None])


def test_head_gradient_of_wrong_shape(xp):
    a = _var(xp, [1.0, 2.0, 3.0])
    y = a * 2
    with pytest.raises(ValueError, match=r"head gradient has shape \(3, 1\).*shape \(3,\)"):
        y.backward(xp.ones((3, 1), dtype=xp.float64))


def test_head_gradient_of_another_namespace(xp):
    a = _var(xp, [1.0, 2.0])
    y = a * 2
    other = ag.namespace("numpy" if xp.__name__.endswith("torch") else "torch")
    with pytest.raises(TypeError, match="two different namespaces"):
        y.backward(other.asarray([1.0, 1.0]))
    with pytest.raises(TypeError, match="two different namespaces"):
        autograd.grad(y, [a], other.asarray([1.0, 1.0]))


def test_head_gradient_is_used_like_torch(xp):
    head = [1.0, -1.0, 0.5]
    assert_matches_torch(xp, lambda xp, a: xp.exp(a) * a, [0.1, 0.2, 0.3], head_grad=head)


def test_backward_of_an_array_not_in_a_graph(xp):
    y = xp.sum(xp.asarray([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="not part of a recorded graph: none of the inputs "
                                           "it was computed from requires a gradient"):
        y.backward()
    x = _var(xp, [1.0])
    with no_grad():
        z = x * 2
    with pytest.raises(RuntimeError, match="computed while recording was paused"):
        z.backward()


def test_grad_of_leaves_and_intermediates(xp):
    a = _var(xp, [0.3, 1.2])
    h = a * a
    out = xp.sum(xp.sin(h))
    g_a, g_h = autograd.grad(out, [a, h])
    assert a.grad is None  # grad() leaves .grad alone
    ta = _torch_var([0.3, 1.2])
    th = torch_xp.multiply(ta, ta)
    ref_a, ref_h = torch.autograd.grad(torch_xp.sum(torch_xp.sin(th)), [ta, th])
    np.testing.assert_allclose(to_numpy(g_a), ref_a.numpy(), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(g_h), ref_h.numpy(), rtol=1e-12)


def test_grad_of_a_single_variable_returns_an_array(xp):
    a = _var(xp, [0.3, 1.2])
    g = autograd.grad(xp.sum(a * a), a)
    assert isinstance(g, ag.Array)
    np.testing.assert_allclose(to_numpy(g), torch_grads_of(lambda xp, a: xp.sum(a * a),
                                                           [0.3, 1.2])[0])


def test_grad_allow_unused(xp):
    a = _var(xp, [1.0, 2.0])
    unused = _var(xp, [5.0])
    with pytest.raises(RuntimeError, match="was not used to compute the heads.*allow_unused"):
        autograd.grad(xp.sum(a * a), [a, unused])
    g_a, g_unused = autograd.grad(xp.sum(a * a), [a, unused], allow_unused=True)
    assert g_unused is None
    np.testing.assert_allclose(to_numpy(g_a), [2.0, 4.0])


def test_grad_of_a_non_variable(xp):
    a = _var(xp, [1.0])
    with pytest.raises(RuntimeError, match="Variable 0 passed to autograd.grad does not "
                                           "require a gradient"):
        autograd.grad(xp.sum(a * 2), [xp.asarray([1.0])])


def test_grad_create_graph_gives_second_derivatives(xp):
    a = _var(xp, [0.3, -0.7])
    (g,) = autograd.grad(xp.sum(xp.sin(a) * a), [a], create_graph=True)
    assert g.requires_grad
    (g2,) = autograd.grad(xp.sum(g), [a])
    ta = _torch_var([0.3, -0.7])
    (tg,) = torch.autograd.grad(torch_xp.sum(torch_xp.sin(ta) * ta), [ta], create_graph=True)
    (tg2,) = torch.autograd.grad(tg.sum(), [ta])
    np.testing.assert_allclose(to_numpy(g2), tg2.numpy(), rtol=1e-12)
    assert_matches_torch(xp, lambda xp, a: xp.sin(a) * a, [0.3, -0.7], create_graph_order=2)


def test_backward_create_graph_then_backward_of_the_gradient(xp):
    assert_matches_torch(xp, lambda xp, a: xp.exp(a) * a * a, [0.1, 0.9],
                         create_graph_order=2)


def test_grad_without_create_graph_is_not_recorded(xp):
    a = _var(xp, [0.3])
    g = autograd.grad(xp.sum(a * a * a), a)
    assert not g.requires_grad


# ---------------------------------------------------------------------------
# graph lifetime
# ---------------------------------------------------------------------------


def test_second_backward_raises_naming_retain_graph(xp):
    a = _var(xp, [1.0, 2.0])
    y = xp.sum(xp.sin(a))
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward(xp):
    a = _var(xp, [1.0, 2.0])
    y = xp.sum(xp.sin(a))
    y.backward(retain_graph=True)
    y.backward()
    expected = torch_grads_of(lambda xp, a: xp.sum(xp.sin(a)), [1.0, 2.0])[0]
    np.testing.assert_allclose(to_numpy(a.grad), 2 * expected, rtol=1e-12)


def test_grad_frees_the_graph_unless_retained(xp):
    a = _var(xp, [1.0, 2.0])
    y = xp.sum(xp.exp(a))
    autograd.grad(y, a, retain_graph=True)
    autograd.grad(y, a)
    with pytest.raises(RuntimeError, match="retain_graph"):
        autograd.grad(y, a)


def test_create_graph_retains_by_default(xp):
    a = _var(xp, [1.0, 2.0])
    y = xp.sum(a * a * a)
    y.backward(create_graph=True)
    a.grad = None
    y.backward()
    np.testing.assert_allclose(to_numpy(a.grad), [3.0, 12.0])


def test_backward_frees_saved_values(xp):
    big = xp.ones((400, 400), dtype=xp.float64).requires_grad_()
    hidden = big * 2.0          # an intermediate that sin saves for its backward
    saved = weakref.ref(hidden._data)
    y = xp.sum(xp.sin(hidden))
    sin_node = y._node.edges[0][0]
    del hidden
    gc.collect()
    assert saved() is not None  # the tape keeps it for the backward
    y.backward()
    gc.collect()
    assert saved() is None      # freed as soon as the backward no longer needs it
    assert sin_node.primals is None and sin_node.out is None
    np.testing.assert_allclose(to_numpy(big.grad), 2 * np.cos(2.0) * np.ones((400, 400)))


def test_backward_twice_through_nodes_that_saved_nothing(xp):
    """As in PyTorch: a second backward needs ``retain_graph`` only where a node saved a
    value (``sin`` its input); ``sum(x + 1)`` saved none and backwards again.  (PyTorch
    saves the scalar of ``x * 2.0`` as a tensor and raises there; nothing is saved here.)"""
    x = _var(xp, [1.0, 2.0])
    y = xp.sum(x + 1.0)
    y.backward()
    y.backward()
    tx = _torch_var([1.0, 2.0])
    ty = torch_xp.sum(tx + 1.0)
    ty.backward()
    ty.backward()
    np.testing.assert_allclose(to_numpy(x.grad), tx.grad.numpy())
    w = _var(xp, [1.0, 2.0])
    v = xp.sum(w * 2.0)
    v.backward()
    v.backward()
    np.testing.assert_allclose(to_numpy(w.grad), [4.0, 4.0])
    z = xp.sum(xp.sin(x) + 1.0)
    z.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        z.backward()


def test_retain_graph_keeps_saved_values(xp):
    big = xp.ones((100, 100), dtype=xp.float64).requires_grad_()
    hidden = big * 2.0
    saved = weakref.ref(hidden._data)
    y = xp.sum(xp.sin(hidden))
    del hidden
    y.backward(retain_graph=True)
    gc.collect()
    assert saved() is not None
    del y
    gc.collect()
    assert saved() is None  # and dropping the graph frees them


# ---------------------------------------------------------------------------
# in-place updates
# ---------------------------------------------------------------------------


def test_a_saved_input_changed_in_place_keeps_its_old_value(xp):
    """Copy on write (beyond PyTorch, which raises): the node that saved ``m`` keeps the
    old values, copied once when the write comes; the gradient is that of the values used."""
    from arrayapi_autograd import _tape

    a = _var(xp, [1.0, 2.0])
    m = a * 1.0
    y = xp.sum(xp.sin(m))
    m += 1   # a new buffer: the old one is kept as it is, no copy
    before = _tape.copies
    y.backward()
    np.testing.assert_allclose(to_numpy(a.grad), np.cos([1.0, 2.0]))
    a.grad = None
    m = a * 1.0
    y = xp.sum(xp.sin(m))
    m[0] = 7.0   # written in the buffer: one copy for the node
    y.backward()
    np.testing.assert_allclose(to_numpy(a.grad), np.cos([1.0, 2.0]))
    assert _tape.copies == before + 1


def test_a_saved_output_changed_in_place_keeps_its_old_value(xp):
    a = _var(xp, [1.0, 2.0])
    e = xp.exp(a)
    y = xp.sum(e)
    e[0] = 5.0
    y.backward()
    np.testing.assert_allclose(to_numpy(a.grad), np.exp([1.0, 2.0]))


def test_a_saved_input_changed_through_a_view_keeps_its_old_value(xp):
    a = _var(xp, [1.0, 2.0, 3.0])
    m = a * 1.0
    y = xp.sum(xp.sin(m))
    view = m[1:]
    with no_grad():
        view += 1.0
    y.backward()
    np.testing.assert_allclose(to_numpy(a.grad), np.cos([1.0, 2.0, 3.0]))


def test_nothing_is_copied_when_no_saved_value_is_written(xp):
    """An optimizer step writes leaves whose graph a backward already freed: no copy."""
    from arrayapi_autograd import _tape

    w = _var(xp, [1.0, 2.0])
    before = _tape.copies
    for _ in range(3):
        loss = xp.sum(xp.sin(w) * w)
        loss.backward()
        with no_grad():
            w -= 0.1 * w.grad
            w[0] = w[0] * 1.0
    n = w * 2.0          # saved by nobody
    n[0] = 3.0
    n += 1.0
    assert _tape.copies == before


def test_a_saved_value_changed_twice_keeps_the_first(xp):
    a = _var(xp, [1.0, 2.0])
    m = a * 1.0
    y = xp.sum(m * m)         # reads m (both operands)
    m[0] = 5.0
    z = xp.sum(m * m)         # reads the new m
    m[1] = 6.0
    (y + z).backward()
    np.testing.assert_allclose(to_numpy(a.grad), 2.0 * np.array([1.0, 2.0])
                               + 2.0 * np.array([0.0, 2.0]))


def test_modifying_an_unsaved_input_is_fine(xp):
    a = _var(xp, [1.0, 2.0])
    m = a * 1.0
    y = xp.sum(m * 3.0)   # saves m (unchanged below)
    n = m + 1.0           # n is saved by nobody: changing it is harmless
    n += 1.0
    y.backward()
    np.testing.assert_allclose(to_numpy(a.grad), [3.0, 3.0])


def _setitem_basic(xp, v, w):
    m = v * 2.0
    m[1:3] = w[:2] * w[2:]
    return m * m


def _setitem_broadcast(xp, v, w):
    m = xp.sin(v)
    m[0] = w[0]
    return m * v


def _setitem_boolean(xp, v, w):
    m = v * v
    m[v > 0.0] = 0.5
    return m * w


def _iadd(xp, v, w):
    m = v * 1.0
    m += w
    return xp.sin(m) * m


def _imul_broadcast(xp, v, w):
    m = xp.reshape(v * 1.0, (2, 2))
    m *= w[:2]
    return m


def _inplace_through_a_view(xp, v, w):
    # a basic-indexing view writes through to its base, as PyTorch rebases views
    m = v * 2.0
    s = m[0:2]
    s += w[1:3] * 10.0
    s[1] = 7.0 * w[0]
    return m * m


@pytest.mark.parametrize("fn", [_setitem_basic, _setitem_broadcast, _setitem_boolean, _iadd,
                                _imul_broadcast, _inplace_through_a_view],
                         ids=lambda f: f.__name__.strip("_"))
def test_inplace_updates_on_graph_arrays_match_torch(xp, fn):
    # gradients flow to the values kept and to the values written
    grads = assert_matches_torch(xp, fn, [0.5, -1.0, 2.0, 0.25], [3.0, -2.0, 0.5, 1.5])
    assert any(np.any(g != 0) for g in grads)


def test_setitem_records_the_written_value_into_an_untracked_array(xp):
    def fill(xp, w):
        m = xp.zeros((3,), dtype=xp.float64)
        m[1] = w[0] * 2.0
        return m * m

    assert_matches_torch(xp, fill, [1.5])


def test_inplace_on_a_leaf_raises_while_recording(xp):
    x = _var(xp, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf array of shape \\(2,\\).*requires a gradient "
                                           "is being modified in place while recording"):
        x += 1.0
    with pytest.raises(RuntimeError, match="modified in place while recording"):
        x[0] = 3.0
    assert to_numpy(x).tolist() == [1.0, 2.0]


def test_inplace_on_a_leaf_under_no_grad_is_an_optimizer_step(xp):
    x = _var(xp, [1.0, 2.0])
    for _ in range(2):
        loss = xp.sum(x * x)
        loss.backward()
        with no_grad():
            x -= 0.25 * x.grad
            x.grad = None
    assert x.requires_grad and x.is_leaf
    np.testing.assert_allclose(to_numpy(x), [0.25, 0.5])
    with autograd.pause():
        x[0] = 4.0
    assert to_numpy(x).tolist() == [4.0, 0.5]
    xp.sum(x * x).backward()   # still a variable after the steps
    np.testing.assert_allclose(to_numpy(x.grad), [8.0, 1.0])


# ---------------------------------------------------------------------------
# detach, errors of mixing
# ---------------------------------------------------------------------------


def test_detach_and_stop_gradient(xp):
    x = _var(xp, [1.0, 2.0])
    y = x * x
    for d in (y.detach(), stop_gradient(y)):
        assert not d.requires_grad and d.grad is None
        assert to_numpy(d).tolist() == [1.0, 4.0]

    def fn(xp, x):
        return (x * x).detach() * x + x

    assert_matches_torch(xp, fn, [1.0, 2.0])


def test_mixing_backends_is_a_type_error_naming_both(xp):
    other = ag.namespace("numpy" if xp is not ag.namespace("numpy") else "torch")
    a = _var(xp, [1.0])
    b = other.asarray([1.0])
    pattern = f"{xp.__name__}.*{other.__name__}"
    with pytest.raises(TypeError, match=pattern):
        a + b
    with pytest.raises(TypeError, match=pattern):
        xp.multiply(a, b)


def test_mixing_a_foreign_raw_array_is_a_type_error_naming_both(xp):
    foreign = torch.ones(1) if xp is not ag.namespace("torch") else np.ones(1)
    a = _var(xp, [1.0])
    pattern = f"{xp.__name__}.*{type(foreign).__module__}.{type(foreign).__qualname__}"
    with pytest.raises(TypeError, match=pattern):
        a + foreign
    with pytest.raises(TypeError, match=pattern):
        xp.add(a, foreign)


# ---------------------------------------------------------------------------
# missing rules
# ---------------------------------------------------------------------------


def _half_differentiable(xp):
    """A namespace function whose record has a VJP and JVP for x1 only."""
    op = Op("_test_scaled", "real floating-point", signature="x1, x2, /",
            arrays=("x1", "x2"), forward=None,
            vjp={"x1": lambda ns, ct, x1, x2, out: ct * x2},
            jvp={"x1": lambda ns, t, x1, x2, out: t * x2})
    return make_function(op, lambda a, b: a * b, xp, _call, {1: dispatch_one, 2: dispatch_two},
                         dispatch_scope())


def test_vjp_not_defined_names_op_and_argument(xp):
    scaled = _half_differentiable(xp)
    a, b = _var(xp, [1.0, 2.0]), _var(xp, [3.0, 4.0])
    xp.sum(scaled(a, b.detach())).backward()
    np.testing.assert_allclose(to_numpy(a.grad), [3.0, 4.0])
    with pytest.raises(NotImplementedError, match="VJP of '_test_scaled' with respect to its "
                                                  "argument 'x2' is not defined"):
        xp.sum(scaled(a, b)).backward()


def test_jvp_not_defined_names_op_and_argument(xp):
    from arrayapi_autograd._tape import jvp_arrays

    scaled = _half_differentiable(xp)
    a = xp.asarray([1.0, 2.0], dtype=xp.float64)
    b = xp.asarray([3.0, 4.0], dtype=xp.float64)
    _, t = jvp_arrays(lambda a: scaled(a, b), (a,), (xp.ones_like(a),))
    np.testing.assert_allclose(to_numpy(t), [3.0, 4.0])
    with pytest.raises(NotImplementedError, match="JVP of '_test_scaled' with respect to its "
                                                  "argument 'x2' is not defined"):
        jvp_arrays(lambda b: scaled(a, b), (b,), (xp.ones_like(b),))


# ---------------------------------------------------------------------------
# grad assignment, hooks, forward-mode tangents
# ---------------------------------------------------------------------------


def test_grad_assignment(xp):
    x = _var(xp, [1.0, 2.0])
    x.grad = xp.asarray([5.0, 6.0], dtype=xp.float64)
    xp.sum(x * 3.0).backward()   # requires_grad_ accumulates onto the assigned grad
    assert to_numpy(x.grad).tolist() == [8.0, 9.0]
    with pytest.raises(ValueError, match=r"grad of shape \(3,\) assigned to an array of "
                                         r"shape \(2,\)"):
        x.grad = xp.zeros((3,), dtype=xp.float64)
    with pytest.raises(RuntimeError, match="Only leaf arrays that require a gradient have a "
                                           "settable grad"):
        (x * 2).grad = xp.zeros((2,), dtype=xp.float64)
    # as in PyTorch, the dtype must be the array's (an integer grad would become float
    # silently at the next backward)
    with pytest.raises(TypeError, match="grad of dtype .*int.* assigned to an array of dtype"):
        x.grad = xp.asarray([1, 2])
    with pytest.raises(TypeError, match="grad of dtype .*float32.* assigned"):
        x.grad = xp.asarray([1.0, 2.0], dtype=xp.float32)
    other = ag.namespace("numpy" if xp.__name__.endswith("torch") else "torch")
    with pytest.raises(TypeError, match="grad of .* assigned to an array of .*asarray"):
        x.grad = other.asarray([1.0, 2.0], dtype=other.float64)
    with pytest.raises(TypeError, match="not an array of its backend"):
        x.grad = other.asarray([1.0, 2.0], dtype=other.float64)._data  # another library's
    x.grad = [0.5, 1]  # not an array: taken at the array's dtype
    assert x.grad.dtype == xp.float64 and to_numpy(x.grad).tolist() == [0.5, 1.0]


def test_hooks_see_and_replace_the_cotangent(xp):
    x = _var(xp, [1.0, 2.0])
    seen = []
    h = x * x
    h.register_hook(lambda ct: seen.append(to_numpy(ct)))
    handle = x.register_hook(lambda ct: ct * 10.0)
    xp.sum(xp.sin(h)).backward()
    tx = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    th = tx * tx
    th.register_hook(lambda ct: seen.append(ct.numpy()))
    tx.register_hook(lambda ct: ct * 10.0)
    torch_xp.sum(torch_xp.sin(th)).backward()
    np.testing.assert_allclose(seen[0], seen[1], rtol=1e-12)
    np.testing.assert_allclose(to_numpy(x.grad), tx.grad.numpy(), rtol=1e-12)
    handle.remove()
    x.grad = None
    xp.sum(x).backward()
    assert to_numpy(x.grad).tolist() == [1.0, 1.0]
    with pytest.raises(RuntimeError, match="Cannot register a hook on an array that does not "
                                           "require a gradient"):
        xp.asarray([1.0]).register_hook(lambda ct: ct)


def test_tangent_of_the_wrong_shape(xp):
    from arrayapi_autograd._tape import dual_level, make_dual

    with dual_level() as level:
        with pytest.raises(ValueError, match=r"tangent has shape \(3,\) but its primal has "
                                             r"shape \(2,\)"):
            make_dual(xp.asarray([1.0, 2.0]), xp.ones((3,)), level)


# ---------------------------------------------------------------------------
# views, threads, closed forward levels (found by a fresh user's tests)
# ---------------------------------------------------------------------------


def _write_through_reshape(xp, v, w):
    m = v * 1.0
    r = xp.reshape(m, (2, 2))
    r[0, 0] = w[0] * 7.0
    r += w[1]
    return m * m


def _write_through_transpose(xp, v, w):
    m = xp.reshape(v * 1.0, (2, 2))
    t = xp.matrix_transpose(m)
    t *= w[:2]
    return m * w[2]


@pytest.mark.parametrize("fn", [_write_through_reshape, _write_through_transpose],
                         ids=lambda f: f.__name__.strip("_"))
def test_inplace_through_reshaping_views_reaches_the_base(xp, fn):
    grads = assert_matches_torch(xp, fn, [0.5, -1.0, 2.0, 0.25], [3.0, -2.0, 0.5, 1.5])
    assert all(np.any(g != 0) for g in grads)


def test_a_view_used_after_its_base_changed_in_place_is_regenerated(xp):
    """As in PyTorch: the view shows the written value and carries the base's new history."""
    x = _var(xp, [1.0, 2.0, 3.0, 4.0])
    z = x * 1.0
    v = z[0:2]
    z[0] = 10.0 * x[1]
    total = xp.sum(v)
    assert float(total) == 22.0
    total.backward()
    np.testing.assert_allclose(to_numpy(x.grad), [0.0, 11.0, 0.0, 0.0])


def test_a_view_of_a_base_moved_to_a_new_buffer_raises(xp):
    """A recorded ``z += ...`` gives ``z`` a new buffer: a view taken before holds the old
    values, so using it raises instead of computing with them."""
    x = _var(xp, [1.0, 2.0, 3.0, 4.0])
    z = x * 1.0
    v = z[0:2]
    z += 1.0
    with pytest.raises(RuntimeError, match=r"made by '__getitem__' \(a view\) is used after "
                                           r"the array it views was modified in place"):
        xp.sum(v)


def test_inplace_on_a_view_that_cannot_be_written_back_raises(xp):
    x = _var(xp, [1.0, 2.0, 3.0])
    f = xp.flip(x * 1.0)
    with pytest.raises(RuntimeError, match=r"In-place update of a view made by 'flip'"):
        f += 1.0


def test_recording_state_is_per_thread(xp):
    import threading

    paused = threading.Event()
    release = threading.Event()

    def pause_in_another_thread():
        with no_grad():
            paused.set()
            release.wait(10)

    thread = threading.Thread(target=pause_in_another_thread)
    thread.start()
    try:
        paused.wait(10)
        x = _var(xp, [1.0])
        assert autograd.is_recording()
        assert (x * 2.0).requires_grad
    finally:
        release.set()
        thread.join()


def test_backward_of_a_complex_output_needs_a_head_gradient(xp):
    z = xp.asarray([1.0 + 2.0j], dtype=xp.complex128)
    z.requires_grad_()
    y = xp.sum(z * z)
    with pytest.raises(RuntimeError, match="needs a real output.*pass gradient="):
        y.backward()
    y.backward(xp.asarray(1.0 + 0.0j, dtype=xp.complex128))
    # PyTorch's convention: the gradient is conj(dy/dz) = conj(2 z)
    np.testing.assert_allclose(to_numpy(z.grad), [2.0 - 4.0j])


def test_no_grad_is_a_decorator_with_or_without_parentheses(xp):
    x = _var(xp, [1.0])

    @no_grad
    def bare(a):
        return a * 2.0

    @no_grad()
    def called(a):
        return a * 2.0

    assert not bare(x).requires_grad and not called(x).requires_grad
    assert (x * 2.0).requires_grad


def test_results_of_a_closed_forward_level_convert_freely(xp):
    H = ag.jacrev(ag.jacfwd(lambda a: xp.sum(xp.exp(a) * a)))(
        xp.asarray([0.1, 0.2], dtype=xp.float64))
    values = np.asarray(H)
    expected = np.diag(np.exp([0.1, 0.2]) * (2.0 + np.array([0.1, 0.2])))
    np.testing.assert_allclose(values, expected, rtol=1e-12)


def test_a_complex_head_gradient_or_tangent_for_a_real_array_is_refused(xp):
    """Casting would drop the imaginary part silently: PyTorch refuses the head gradient,
    JAX the tangent."""
    x = xp.asarray([1.0, 2.0, 3.0])
    x.requires_grad_()
    y = x * 2.0
    with pytest.raises(TypeError, match="one is complex and the other real"):
        y.backward(xp.asarray([1 + 5j, 2 + 0j, 3 + 0j]))
    with pytest.raises(TypeError, match="one is complex and the other real"):
        ag.jvp(lambda a: a * 2.0, (xp.asarray([1.0, 2.0, 3.0]),),
               (xp.asarray([1 + 5j, 2 + 0j, 3 + 0j]),))
    z = xp.asarray([1 + 1j, 2 - 1j])
    z.requires_grad_()
    w = z * 2.0
    with pytest.raises(TypeError, match="one is complex and the other real"):
        w.backward(xp.asarray([1.0, 1.0]))

"""arrayapi_autograd.testing.check_grads: passes on right derivatives, reports wrong ones."""

from __future__ import annotations

import array_api_compat
import pytest

import arrayapi_autograd as ag
from arrayapi_autograd.testing import check_grads
from conformance_tests.faults import broken_sin


@pytest.fixture(params=["numpy", "torch", "array_api_strict"])
def xp(request):
    return ag.namespace(request.param)


def generic(x, y):
    """Namespace-generic: runs on our arrays and on torch tensors alike."""
    ns = array_api_compat.array_namespace(x, y)
    return ns.sum(ns.sin(x) * ns.exp(y), axis=0), ns.tanh(x * y)


def test_passes_on_right_derivatives(xp):
    x = xp.asarray([[0.5, -1.2], [0.3, 2.0]], dtype=xp.float64)
    y = xp.asarray([0.7, -0.4], dtype=xp.float64)
    check_grads(generic, x, y, order=2)
    check_grads(lambda x: xp.sum(x ** 3), x, order=3, modes=("rev",))


def test_nested_arguments_and_constants():
    xp = ag.namespace("numpy")
    x = xp.asarray([0.5, 1.5])
    idx = xp.asarray([1, 0])

    def f(pair, scale, index):
        a, b = pair
        return xp.take(a * b, index) * scale

    check_grads(f, (x, xp.asarray([2.0, -1.0])), 3.0, idx)


def test_float32_uses_looser_defaults():
    xp = ag.namespace("numpy")
    check_grads(lambda x: xp.exp(xp.sin(x)), xp.asarray([0.1, 0.9], dtype=xp.float32))


@pytest.mark.parametrize("which, mode, words", [
    ("vjp", "rev", "reverse mode"),
    ("jvp", "fwd", "forward mode"),
])
def test_wrong_rule_is_reported(which, mode, words):
    xp = ag.namespace("numpy")
    x = xp.asarray([0.5, 1.5, -0.3])
    with broken_sin(which):
        with pytest.raises(AssertionError, match=words):
            check_grads(lambda x: xp.sin(x), x, order=1, modes=(mode,))
        # the other mode alone does not see it ...
        other = "fwd" if mode == "rev" else "rev"
        check_grads(lambda x: xp.sin(x), x, order=1, modes=(other,))


def test_wrong_second_derivative_is_reported():
    xp = ag.namespace("numpy")
    x = xp.asarray([0.5, 1.5])
    # cos's derivative is -sin: a wrong sin VJP shows in cos's second order only
    with broken_sin("vjp"):
        check_grads(lambda x: xp.cos(x), x, order=1, modes=("rev",))
        with pytest.raises(AssertionError, match="VJP of order 2"):
            check_grads(lambda x: xp.cos(x), x, order=2, modes=("rev",))


def test_torch_reference():
    pytest.importorskip("torch")
    xp = ag.namespace("array_api_strict")
    x = xp.asarray([[0.5, -1.2], [0.3, 2.0]])
    y = xp.asarray([0.7, -0.4])
    check_grads(generic, x, y, reference="torch")
    with broken_sin("vjp"):  # both the identities and PyTorch catch it
        with pytest.raises(AssertionError):
            check_grads(generic, x, y, reference="torch", order=1, modes=("rev",))


def test_torch_reference_that_differs_is_reported():
    torch = pytest.importorskip("torch")
    xp = ag.namespace("numpy")
    x = xp.asarray([0.5, 1.5])
    with pytest.raises(AssertionError, match="PyTorch"):
        check_grads(lambda x: xp.sin(x), x, reference=lambda x: torch.sin(x) * 1.001,
                    order=1)


def test_bad_arguments():
    xp = ag.namespace("numpy")
    with pytest.raises(ValueError, match="modes"):
        check_grads(xp.sin, xp.asarray([1.0]), modes=("backward",))
    with pytest.raises(ValueError, match="floating-point"):
        check_grads(xp.sin, xp.asarray([1, 2]))

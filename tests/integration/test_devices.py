"""SciPy on a non-default device of array-api-strict: every function keeps its input's device.

``scipy.special.logsumexp`` mixes its input with arrays it creates; with our
``astype`` and ``asarray(copy=True)`` moving arrays to the default device it
failed on array-api-strict's ``device1`` ("arrays on different devices").
Values and gradients are compared with ``torch.logsumexp`` under
``torch.autograd``.
"""

from __future__ import annotations

import numpy as np
import pytest

import arrayapi_autograd as ag
from oracle import to_numpy

array_api_strict = pytest.importorskip("array_api_strict")
torch = pytest.importorskip("torch")
special = pytest.importorskip("scipy.special")


@pytest.mark.parametrize("device_name", ["device1", "device2"])
def test_logsumexp_on_a_non_default_device(device_name):
    xp = ag.namespace("array_api_strict")
    device = array_api_strict.Device(device_name)
    values = np.asarray([[0.5, -1.0, 2.0], [3.0, 0.0, -2.0]])
    x = xp.asarray(values, dtype=xp.float64, device=device).requires_grad_()
    out = special.logsumexp(x, axis=-1)
    assert out.device == device
    xp.sum(out * xp.asarray([1.0, -2.0], dtype=xp.float64, device=device)).backward()
    assert x.grad.device == device

    t = torch.tensor(values, requires_grad=True)
    expected = torch.logsumexp(t, dim=-1)
    (expected * torch.tensor([1.0, -2.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(to_numpy(out), expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(to_numpy(x.grad), t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("device_name", ["device1", "device2"])
def test_logsumexp_with_weights_on_a_non_default_device(device_name):
    """Values only: with ``b`` SciPy writes in place into a saved input, which the tape
    refuses as torch.autograd does (tests/integration/_cases.py)."""
    xp = ag.namespace("array_api_strict")
    device = array_api_strict.Device(device_name)
    values = np.asarray([[0.5, -1.0, 2.0], [3.0, 0.0, -2.0]])
    weights = np.asarray([[1.0, 2.0, 0.5], [0.25, 1.0, 3.0]])
    out, sign = special.logsumexp(xp.asarray(values, dtype=xp.float64, device=device),
                                  axis=-1, return_sign=True,
                                  b=xp.asarray(weights, dtype=xp.float64, device=device))
    assert out.device == device and sign.device == device
    expected = torch.logsumexp(torch.tensor(values) + torch.log(torch.tensor(weights)), dim=-1)
    np.testing.assert_allclose(to_numpy(out), expected.numpy(), rtol=1e-12)


def test_scipy_fixture_pattern_on_devices():
    """SciPy's test fixtures write ``devices() + [None]`` (a list in 2024.12)."""
    for backend in ("numpy", "torch", "array_api_strict"):
        xp = ag.namespace(backend)
        devices = xp.__array_namespace_info__().devices() + [None]
        assert devices[-1] is None

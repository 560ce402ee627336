"""Writing into a view of a view writes through to the base, recorded, as in PyTorch."""

from __future__ import annotations

import array_api_compat.torch as torch_xp
import numpy as np
import pytest
import torch

from oracle import BACKENDS, to_numpy
import arrayapi_autograd as ag

X = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


def _slices(xp, y):
    w = y[1:, :][:, 1:]
    w += 1
    w[0, 0] = 50.0


def _transpose_row(xp, y):
    w = y.mT[1, :]
    w[1] = 7.0


def _reshape_slice(xp, y):
    w = xp.reshape(y, (6,))[2:4]
    w[0] = 9.0


def _permute_slice(xp, y):
    w = xp.permute_dims(y, (1, 0))[1:, :]
    w[...] = 3.0 * w


PROGRAMS = {"slices": _slices, "transpose_row": _transpose_row,
            "reshape_slice": _reshape_slice, "permute_slice": _permute_slice}


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(PROGRAMS))
def test_writing_into_a_view_of_a_view_matches_torch(backend, name):
    program = PROGRAMS[name]
    xt = torch.tensor(X, requires_grad=True)
    yt = xt * 2.0
    program(torch_xp, yt)
    (yt * xt).sum().backward()

    xp = ag.namespace(backend)
    x = xp.asarray(X)
    x.requires_grad_()
    y = x * 2.0
    program(xp, y)
    np.testing.assert_allclose(to_numpy(y), yt.detach().numpy(), rtol=0, atol=0)
    xp.sum(y * x).backward()
    np.testing.assert_allclose(to_numpy(x.grad), xt.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_view_taken_before_its_base_was_written_is_regenerated(backend):
    """``v = y[1:]``, then ``y[1, 1] = 0``: using ``v`` sees the new value and the new
    history of ``y``, as in PyTorch."""
    xt = torch.tensor(X, requires_grad=True)
    yt = xt * 2.0
    vt = yt[1:, :]
    yt[1, 1] = 0.0
    (vt * xt[1:, :]).sum().backward()

    xp = ag.namespace(backend)
    x = xp.asarray(X)
    x.requires_grad_()
    y = x * 2.0
    v = y[1:, :]
    y[1, 1] = 0.0
    out = xp.sum(v * x[1:, :])
    out.backward()
    assert float(out) == 104.0
    np.testing.assert_allclose(to_numpy(x.grad), xt.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_reshape_that_copied_is_not_regenerated(backend):
    """``reshape`` of a transposed array copies on the backend: it holds the old values,
    so using it after its base was written raises rather than mixing old values with the
    base's new history."""
    xp = ag.namespace(backend)
    w = xp.asarray(X)
    w.requires_grad_()
    y = w * 1.0
    u = xp.reshape(y.mT, (6,))
    y[0, 0] = 9.0
    with pytest.raises(RuntimeError, match="made by 'reshape' \\(a view\\) is used after"):
        xp.sum(u * u)

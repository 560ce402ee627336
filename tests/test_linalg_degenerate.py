"""Multi-output linear algebra at repeated eigen/singular values (found by a user's test).

With only the eigenvalues (singular values) used, PyTorch's formulas skip the
``1 / (L_j - L_i)`` terms of the unused vectors, so the gradient stays finite
where values repeat; ours must too (``Op.sparse_cotangents``).
"""

from __future__ import annotations

import numpy as np
import torch

import arrayapi_autograd as ag
from oracle import to_numpy


def _torch_grad(fn, value):
    t = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    fn(t).backward()
    return t.grad.numpy()


def test_eigh_values_only_at_a_repeated_eigenvalue(xp):
    s = np.diag([1.0, 1.0, 2.0])
    ours = ag.grad(lambda a: xp.sum(xp.linalg.eigh(a)[0] ** 2))(xp.asarray(s, dtype=xp.float64))
    expected = _torch_grad(lambda a: (torch.linalg.eigh(a)[0] ** 2).sum(), s)
    np.testing.assert_allclose(to_numpy(ours), expected, rtol=1e-12, atol=1e-12)


def test_svd_values_only_at_repeated_singular_values(xp):
    m = np.eye(3)
    ours = ag.grad(lambda a: xp.sum(xp.linalg.svd(a)[1] ** 2))(xp.asarray(m, dtype=xp.float64))
    expected = _torch_grad(lambda a: (torch.linalg.svd(a)[1] ** 2).sum(), m)
    np.testing.assert_allclose(to_numpy(ours), expected, rtol=1e-12, atol=1e-12)


def test_svd_with_one_factor_used(xp):
    m = np.random.default_rng(0).standard_normal((3, 2))

    def ours_loss(a):
        u, s, _ = xp.linalg.svd(a, full_matrices=False)
        return xp.sum(u[:, :1] ** 2 * 3.0) + xp.sum(s)

    def torch_loss(a):
        u, s, _ = torch.linalg.svd(a, full_matrices=False)
        return (u[:, :1] ** 2 * 3.0).sum() + s.sum()

    ours = ag.grad(ours_loss)(xp.asarray(m, dtype=xp.float64))
    np.testing.assert_allclose(to_numpy(ours), _torch_grad(torch_loss, m), rtol=1e-10)

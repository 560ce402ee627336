"""Linear algebra and namespaces at their edges: singular matrices, named results,
the standard's version and devices, and PyTorch tensors that require a gradient.

1. ``linalg.det`` is differentiable at every square matrix: its gradient is the
   cofactor matrix ``adj(A)^T``, singular or not, to first and second order,
   batched, in forward mode too.  The reference is ``torch.autograd`` through
   the Leibniz formula (a polynomial, exact at singular matrices, where
   ``torch.linalg.det``'s own backward gives zeros for rank n - 1: "beyond
   PyTorch").  ``slogdet`` at a singular matrix gives the backend's sign 0 and
   logabsdet -inf and a backward that does not raise; ``inv`` and ``solve``
   raise the backend's error with our message.
2. ``eigh``, ``eig``, ``qr``, ``slogdet``, ``svd`` and the ``unique_*`` functions
   return the standard's named fields on every backend, gradients flowing
   through each field.
5. Every function keeps its input's device (array-api-strict's ``device1``).
6. A torch tensor that requires a gradient is refused with a clear error.
"""

from __future__ import annotations

import itertools
import warnings

import array_api_compat.torch
import array_api_strict
import numpy as np
import pytest
import torch

import arrayapi_autograd as ag
from oracle import BACKENDS, assert_matches_torch, to_numpy

# ---------------------------------------------------------------------------
# 1. det and slogdet at singular matrices
# ---------------------------------------------------------------------------


def _parity(perm) -> int:
    sign = 1
    perm = list(perm)
    for i in range(len(perm)):
        while perm[i] != i:
            j = perm[i]
            perm[i], perm[j] = perm[j], perm[i]
            sign = -sign
    return sign


def leibniz_det(xp, a):
    """det(a) as the Leibniz polynomial: exact derivatives of every order, everywhere."""
    n = a.shape[-1]
    total = None
    for perm in itertools.permutations(range(n)):
        term = a[..., 0, perm[0]]
        for i in range(1, n):
            term = term * a[..., i, perm[i]]
        if _parity(perm) < 0:
            term = -term
        total = term if total is None else total + term
    return total


def _det(xp, a):
    return xp.linalg.det(a)


# (matrix, its cofactor matrix adj(A)^T, written out)
SINGULAR = {
    "1x1-zero": ([[0.0]], [[1.0]]),
    "2x2-rank1": ([[1.0, 2.0], [2.0, 4.0]], [[4.0, -2.0], [-2.0, 1.0]]),
    "3x3-rank2": ([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]],
                  [[-3.0, 6.0, -3.0], [6.0, -12.0, 6.0], [-3.0, 6.0, -3.0]]),
    "3x3-rank2-diagonal": ([[2.0, 0.0, 0.0], [0.0, 3.0, 0.0], [0.0, 0.0, 0.0]],
                           [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 6.0]]),
    "3x3-rank1": ([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [3.0, 6.0, 9.0]], np.zeros((3, 3))),
    "2x2-zero": (np.zeros((2, 2)), np.zeros((2, 2))),
    "3x3-zero": (np.zeros((3, 3)), np.zeros((3, 3))),
}


@pytest.mark.parametrize("case", list(SINGULAR))
def test_det_gradient_at_singular_matrices_is_the_cofactor_matrix(xp, case):
    matrix, cofactors = SINGULAR[case]
    grads = assert_matches_torch(xp, _det, matrix, reference=leibniz_det)
    np.testing.assert_allclose(grads[0], cofactors, rtol=1e-12, atol=1e-13)
    value = xp.linalg.det(xp.asarray(matrix, dtype=xp.float64))
    backend_value = xp._xp.linalg.det(xp._xp.asarray(matrix, dtype=xp._xp.float64))
    assert float(value) == float(backend_value)  # the backend's value (0, or its rounding)


def test_pytorch_gives_zeros_where_the_cofactors_are_not(xp):
    """The difference documented in docs/concepts.rst ("beyond PyTorch")."""
    t = torch.tensor(SINGULAR["2x2-rank1"][0], dtype=torch.float64, requires_grad=True)
    torch.linalg.det(t).backward()
    assert not torch.any(t.grad != 0)
    ours = ag.grad(xp.linalg.det)(xp.asarray(SINGULAR["2x2-rank1"][0], dtype=xp.float64))
    np.testing.assert_allclose(to_numpy(ours), SINGULAR["2x2-rank1"][1], rtol=1e-13)


@pytest.mark.parametrize("case", [c for c in SINGULAR if not c.startswith("1x1")])
def test_det_second_order_at_singular_matrices(xp, case):
    assert_matches_torch(xp, _det, SINGULAR[case][0], reference=leibniz_det,
                         create_graph_order=2)


def _regular(n, seed=0, batch=()):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(batch + (n, n)) + 3.0 * np.eye(n)


@pytest.mark.parametrize("order", [1, 2])
def test_det_of_regular_matrices_matches_torch(xp, order):
    assert_matches_torch(xp, _det, _regular(4, batch=(2,)), create_graph_order=order,
                         rtol=1e-9)


@pytest.mark.parametrize("order", [1, 2])
def test_det_batched_singular_and_regular(xp, order):
    stack = np.stack([np.asarray(SINGULAR[c][0]) for c in SINGULAR if c.startswith("3x3")]
                     + [_regular(3, seed=1)])
    assert_matches_torch(xp, _det, stack, reference=leibniz_det, create_graph_order=order,
                         head_grad=np.arange(1.0, len(stack) + 1))


def test_det_hessian_jacrev_and_jvp_at_a_singular_matrix(xp):
    m = np.asarray(SINGULAR["3x3-rank2"][0])
    a = xp.asarray(m, dtype=xp.float64)
    t = torch.tensor(m, dtype=torch.float64)
    expected_h = torch.autograd.functional.hessian(lambda u: leibniz_det(None, u), t)
    np.testing.assert_allclose(to_numpy(ag.hessian(xp.linalg.det)(a)), expected_h.numpy(),
                               rtol=1e-12, atol=1e-12)
    stack = np.stack([m, np.asarray(SINGULAR["3x3-rank1"][0])])
    expected_j = torch.autograd.functional.jacobian(lambda u: leibniz_det(None, u),
                                                    torch.tensor(stack))
    np.testing.assert_allclose(
        to_numpy(ag.jacrev(xp.linalg.det)(xp.asarray(stack, dtype=xp.float64))),
        expected_j.numpy(), rtol=1e-12, atol=1e-12)
    direction = np.asarray([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0], [3.0, 0.0, 1.0]])
    _, tangent = ag.jvp(xp.linalg.det, (a,), (xp.asarray(direction, dtype=xp.float64),))
    np.testing.assert_allclose(float(tangent), -33.0, rtol=1e-12)


@pytest.mark.parametrize("transform", ["rev-rev", "fwd-rev", "fwd-fwd", "rev-fwd"])
def test_det_nested_jacobians_at_a_singular_matrix(xp, transform):
    m = np.asarray(SINGULAR["3x3-rank2"][0])
    expected = torch.autograd.functional.hessian(lambda u: leibniz_det(None, u),
                                                 torch.tensor(m)).numpy()
    outer, inner = (ag.jacrev if t == "rev" else ag.jacfwd for t in transform.split("-"))
    ours = outer(inner(xp.linalg.det))(xp.asarray(m, dtype=xp.float64))
    np.testing.assert_allclose(to_numpy(ours), expected, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("matrix", ["identity", "regular"])
def test_slogdet_hessian_matches_torch(xp, matrix):
    """Repeated singular values (the identity) too: the SVD is only a frame."""
    m = np.eye(3) if matrix == "identity" else _regular(3, seed=9)
    expected = torch.autograd.functional.hessian(lambda u: torch.linalg.slogdet(u)[1],
                                                 torch.tensor(m)).numpy()
    ours = ag.hessian(lambda u: xp.linalg.slogdet(u).logabsdet)(
        xp.asarray(m, dtype=xp.float64))
    np.testing.assert_allclose(to_numpy(ours), expected, rtol=1e-10, atol=1e-13)


def _cofactors_by_minors(m):
    n = m.shape[-1]
    c = np.empty_like(m)
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(m, i, axis=0), j, axis=1)
            c[i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return c


@pytest.mark.parametrize("eps", [1e-6, 1e-10, 1e-14])
def test_det_gradient_is_accurate_near_singularity(xp, eps):
    """det(A) A^{-T} loses the digits that cancel in det; the cofactors keep them."""
    m = np.asarray(SINGULAR["3x3-rank2"][0]) + eps * np.asarray([[1.0, 0, 0], [0, -1, 0],
                                                                 [0, 0, 2]])
    ours = to_numpy(ag.grad(xp.linalg.det)(xp.asarray(m, dtype=xp.float64)))
    np.testing.assert_allclose(ours, _cofactors_by_minors(m), rtol=0, atol=1e-13)
    two = np.asarray([[1.0, 2.0], [2.0, 4.0 + eps]])
    ours = to_numpy(ag.grad(xp.linalg.det)(xp.asarray(two, dtype=xp.float64)))
    np.testing.assert_allclose(ours, [[4.0 + eps, -2.0], [-2.0, 1.0]], rtol=1e-14, atol=0)


@pytest.mark.parametrize("matrix", [
    [[1.0 + 1.0j, 2.0 - 1.0j], [2.0j, 3.0 + 1.0j]],   # rank 1: row 2 = (1+j) row 1
    [[0.5 + 0.5j, 1.0, -1.0j], [2.0, 1.0 - 1.0j, 3.0j], [1.0 - 0.5j, 2.0j, 1.0]],
])
def test_det_complex_matches_torch(xp, matrix):
    m = np.asarray(matrix, dtype=np.complex128)
    w = np.asarray(0.3 - 0.7j)

    def torch_side(det):
        t = torch.tensor(m, requires_grad=True)
        (g,) = torch.autograd.grad(torch.real(det(t) * torch.tensor(w)), t)
        return g.numpy()

    a = xp.asarray(m, dtype=xp.complex128).requires_grad_()
    xp.real(xp.linalg.det(a) * xp.asarray(w, dtype=xp.complex128)).backward()
    np.testing.assert_allclose(to_numpy(a.grad), torch_side(lambda u: leibniz_det(None, u)),
                               rtol=1e-12, atol=1e-12)
    if np.linalg.matrix_rank(m) == m.shape[-1]:
        np.testing.assert_allclose(to_numpy(a.grad), torch_side(torch.linalg.det),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", ["1x1-zero", "2x2-rank1", "2x2-zero"])
def test_slogdet_at_a_singular_matrix(xp, case):
    matrix, cofactors = SINGULAR[case]
    a = xp.asarray(matrix, dtype=xp.float64).requires_grad_()
    result = xp.linalg.slogdet(a)
    backend = xp._xp.linalg.slogdet(xp._xp.asarray(matrix, dtype=xp._xp.float64))
    assert float(result.sign) == float(backend[0]) == 0.0
    assert float(result.logabsdet) == float(backend[1]) == -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's divide by zero
        result.logabsdet.backward()
    g = to_numpy(a.grad)
    cofactors = np.asarray(cofactors)
    # +-inf where a cofactor is not zero (PyTorch too), NaN where it is (0 / 0)
    assert np.all(np.isinf(g[cofactors != 0]))
    assert np.all(np.isnan(g[cofactors == 0]))


@pytest.mark.parametrize("order", [1, 2])
def test_slogdet_of_regular_matrices_matches_torch(xp, order):
    m = _regular(3, seed=2, batch=(2,))
    m[1] = -m[1][::-1]  # a negative determinant too
    assert_matches_torch(xp, lambda xp_, a: xp_.linalg.slogdet(a).logabsdet, m,
                         create_graph_order=order, rtol=1e-9)


def test_slogdet_gradient_beyond_the_floating_point_range(xp):
    """det overflows (e^800); logabsdet's gradient A^{-T} does not."""
    n = 150
    m = _regular(n, seed=3) + 200.0 * np.eye(n)
    t = torch.tensor(m, requires_grad=True)
    torch.linalg.slogdet(t).logabsdet.backward()
    a = xp.asarray(m, dtype=xp.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's overflow in det
        assert not np.isfinite(float(xp.linalg.det(a)))
    ours = ag.grad(lambda u: xp.linalg.slogdet(u).logabsdet)(a)
    np.testing.assert_allclose(to_numpy(ours), t.grad.numpy(), rtol=1e-9, atol=1e-15)
    direction = xp.asarray(_regular(n, seed=4), dtype=xp.float64)
    _, tangent = ag.jvp(lambda u: xp.linalg.slogdet(u).logabsdet, (a,), (direction,))
    expected = np.sum(t.grad.numpy() * to_numpy(direction))
    np.testing.assert_allclose(float(tangent), expected, rtol=1e-9)


@pytest.mark.parametrize("function", ["inv", "solve"])
def test_inv_and_solve_of_a_singular_matrix_raise_the_backends_error(xp, function):
    matrix = SINGULAR["2x2-rank1"][0]
    raw = xp._xp.asarray(matrix, dtype=xp._xp.float64)
    ours = xp.asarray(matrix, dtype=xp.float64)
    args_raw = (raw,) if function == "inv" else (raw, xp._xp.ones((2, 1), dtype=raw.dtype))
    args = (ours,) if function == "inv" else (ours, xp.ones((2, 1), dtype=xp.float64))
    with pytest.raises(Exception) as backend_error:
        getattr(xp._xp.linalg, function)(*args_raw)
    with pytest.raises(type(backend_error.value),
                       match=f"linalg.{function}: the matrix is singular") as ours_error:
        getattr(xp.linalg, function)(*args)
    assert "linalg.pinv" in str(ours_error.value)
    assert isinstance(ours_error.value.__cause__, type(backend_error.value))
    # other errors pass unchanged
    with pytest.raises(Exception) as other:
        xp.linalg.inv(xp.ones((2, 3), dtype=xp.float64))
    assert "singular" not in str(other.value)


# ---------------------------------------------------------------------------
# 2. named results
# ---------------------------------------------------------------------------

FIELDS = {
    "eigh": ("eigenvalues", "eigenvectors"),
    "eig": ("eigenvalues", "eigenvectors"),
    "qr": ("Q", "R"),
    "slogdet": ("sign", "logabsdet"),
    "svd": ("U", "S", "Vh"),
}


@pytest.mark.parametrize("name", list(FIELDS))
def test_linalg_results_have_the_standards_fields(xp, name):
    a = xp.asarray(_regular(3, seed=5), dtype=xp.float64)
    if name == "eigh":
        a = a + a.mT
    result = getattr(xp.linalg, name)(a)
    assert isinstance(result, tuple) and result._fields == FIELDS[name]
    for i, field in enumerate(FIELDS[name]):
        assert getattr(result, field) is result[i]
    parts = list(result)
    assert len(parts) == len(FIELDS[name])


def test_unique_results_have_the_standards_fields(xp):
    x = xp.asarray([3.0, 1.0, 3.0, 2.0])
    counts = xp.unique_counts(x)
    assert counts._fields == ("values", "counts")
    np.testing.assert_array_equal(to_numpy(counts.counts), [1, 1, 2])
    inverse = xp.unique_inverse(x)
    assert inverse._fields == ("values", "inverse_indices")
    np.testing.assert_array_equal(to_numpy(inverse.values[inverse.inverse_indices]),
                                  to_numpy(x))
    try:
        everything = xp.unique_all(x)
    except NotImplementedError:  # array-api-compat's PyTorch has no unique_all
        return
    assert everything._fields == ("values", "indices", "inverse_indices", "counts")


# Each loss reads every field, through gauge-invariant expressions (squares of
# eigenvector and singular vector entries do not depend on their signs).
FIELD_LOSSES = {
    "eigh": lambda xp, a: (xp.sum(xp.linalg.eigh(a + a.mT).eigenvalues ** 3)
                           + xp.sum(xp.linalg.eigh(a + a.mT).eigenvectors[..., 0, :] ** 2)),
    "qr": lambda xp, a: (xp.sum(xp.linalg.qr(a).R ** 2 * a)
                         + xp.sum(xp.linalg.qr(a).Q ** 2 * a)),
    "slogdet": lambda xp, a: (xp.linalg.slogdet(a).logabsdet * 2.0
                              + xp.linalg.slogdet(a).sign),
    "svd": lambda xp, a: (xp.sum(xp.linalg.svd(a, full_matrices=False).S ** 2)
                          + xp.sum(xp.linalg.svd(a, full_matrices=False).U ** 2 * a)
                          + xp.sum(xp.linalg.svd(a, full_matrices=False).Vh ** 2 * a)),
    "eig": lambda xp, a: (xp.sum(xp.real(xp.linalg.eig(a).eigenvalues) ** 2)
                          + xp.sum(xp.abs(xp.linalg.eig(a).eigenvectors) ** 2
                                   * xp.astype(a, xp.complex128))),
}


@pytest.mark.parametrize("order", [1, 2])
@pytest.mark.parametrize("name", list(FIELD_LOSSES))
def test_gradients_flow_through_each_field(xp, name, order):
    if name == "eig" and order == 2:
        pytest.skip("torch.linalg.eig has no second derivative in torch")
    m = _regular(3, seed=6)
    if name == "eig":
        m = m @ np.diag([1.0, 2.0, 4.0]) @ np.linalg.inv(m)  # real, distinct eigenvalues

        def loss(xp_, a):
            return xp_.real(FIELD_LOSSES["eig"](xp_, a))
    else:
        loss = FIELD_LOSSES[name]
    assert_matches_torch(xp, loss, m, create_graph_order=order, rtol=1e-8, atol=1e-10)


def test_jacrev_through_a_field(xp):
    m = _regular(3, seed=7)
    ours = ag.jacrev(lambda a: xp.linalg.svd(a).S)(xp.asarray(m, dtype=xp.float64))
    expected = torch.autograd.functional.jacobian(lambda t: torch.linalg.svd(t).S,
                                                  torch.tensor(m))
    np.testing.assert_allclose(to_numpy(ours), expected.numpy(), rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------------------
# 5. devices
# ---------------------------------------------------------------------------


def _device(xp):
    """A device that is not the default one where the backend has such (strict's device1)."""
    if xp._xp is array_api_strict:
        return array_api_strict.Device("device1")
    return xp.__array_namespace_info__().default_device()


# Each function takes x (float64, shape (3, 3)) and returns an array or a tuple of them.
DEVICE_CALLS = {
    "astype": lambda xp, x: xp.astype(x, xp.float32),
    "astype-same-dtype": lambda xp, x: xp.astype(x, xp.float64),
    "asarray-copy": lambda xp, x: xp.asarray(x, copy=True),
    "asarray-dtype": lambda xp, x: xp.asarray(x, dtype=xp.float32),
    "zeros_like": lambda xp, x: xp.zeros_like(x),
    "full_like": lambda xp, x: xp.full_like(x, 2.0),
    "sin": lambda xp, x: xp.sin(x),
    "add-scalar": lambda xp, x: x + 1.0,
    "sum": lambda xp, x: xp.sum(x, axis=0),
    "cumulative_sum": lambda xp, x: xp.cumulative_sum(x, axis=1),
    "matmul": lambda xp, x: x @ x,
    "where": lambda xp, x: xp.where(x > 0, x, 0.0),
    "sort": lambda xp, x: xp.sort(x, axis=0),
    "take": lambda xp, x: xp.take(x, xp.asarray([0, 2, 2], device=x.device), axis=0),
    "concat": lambda xp, x: xp.concat([x, x]),
    "meshgrid": lambda xp, x: xp.meshgrid(x[0, :], x[1, :]),
    "broadcast_arrays": lambda xp, x: xp.broadcast_arrays(x, x[0, :]),
    "linalg.det": lambda xp, x: xp.linalg.det(x),
    "linalg.slogdet": lambda xp, x: xp.linalg.slogdet(x),
    "linalg.svd": lambda xp, x: xp.linalg.svd(x),
    "linalg.inv": lambda xp, x: xp.linalg.inv(x),
    "linalg.vector_norm": lambda xp, x: xp.linalg.vector_norm(x),
    "fft.rfft": lambda xp, x: xp.fft.rfft(x),
    "fft.fft": lambda xp, x: xp.fft.fft(xp.astype(x, xp.complex128)),
}


@pytest.mark.parametrize("name", list(DEVICE_CALLS))
def test_functions_keep_the_input_device(xp, name):
    device = _device(xp)
    x = xp.asarray(_regular(3, seed=8), dtype=xp.float64, device=device).requires_grad_()
    out = DEVICE_CALLS[name](xp, x)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    for o in outs:
        assert o.device == device, f"{name}: {o.device} != {device}"
    total = None
    for o in outs:
        if o.requires_grad:
            term = xp.sum(xp.real(o) if xp.isdtype(o.dtype, "complex floating") else o)
            term = xp.astype(term, xp.float64)
            total = term if total is None else total + term
    if total is not None:  # zeros_like and full_like have no history
        total.backward()
        assert x.grad.device == device
    # and second order (the backward's own operations)
    (g,) = ag.autograd.grad(_device_loss(xp, x), [x], create_graph=True)
    assert g.device == device
    (h,) = ag.autograd.grad(xp.sum(g * g), [x])
    assert h.device == device


def _device_loss(xp, x):
    return xp.sum(xp.sin(x) * xp.linalg.det(x)) + xp.linalg.slogdet(x).logabsdet


def test_attach_grad_and_creation_keep_the_device():
    xp = ag.namespace("array_api_strict")
    device = array_api_strict.Device("device1")
    x = xp.asarray([1.0, 2.0], device=device)
    x.attach_grad()
    assert x.grad.device == device
    assert xp.empty_like(x).device == device
    assert xp.ones_like(x, dtype=xp.float32).device == device
    assert xp.astype(x, xp.float32, copy=False).device == device
    assert xp.astype(x, xp.float32, device=array_api_strict.Device("device2")).device == \
        array_api_strict.Device("device2")


# ---------------------------------------------------------------------------
# 6. torch tensors that require a gradient
# ---------------------------------------------------------------------------

REFUSED = "requires_grad=True.*Detach it first"


def test_a_torch_tensor_that_requires_grad_is_refused():
    xp = ag.namespace("torch")
    t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    x = xp.asarray([3.0, 4.0], dtype=xp.float64)
    with pytest.raises(TypeError, match=REFUSED):
        xp.asarray(t)
    with pytest.raises(TypeError, match=REFUSED):
        xp.asarray(t * 2)  # a result of PyTorch's graph too
    with pytest.raises(TypeError, match=REFUSED):
        xp.asarray([t, t])
    with pytest.raises(TypeError, match=REFUSED):
        xp.sin(t)
    with pytest.raises(TypeError, match=REFUSED):
        x + t
    with pytest.raises(TypeError, match=REFUSED):
        xp.stack([x, t])
    with pytest.raises(TypeError, match=REFUSED):
        x[...] = t
    with pytest.raises(TypeError, match=REFUSED):
        x += t
    with pytest.raises(TypeError, match=REFUSED):
        x.requires_grad_()
        x.grad = t
    with pytest.raises(BufferError, match="detach"):  # PyTorch's own refusal
        xp.from_dlpack(t)
    assert t.grad is None


def test_a_detached_torch_tensor_is_differentiated_by_our_tape():
    xp = ag.namespace("torch")
    t = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    x = xp.asarray(t.detach()).requires_grad_()
    xp.sum(x * x).backward()
    assert isinstance(x.grad._data, torch.Tensor) and x.grad._data.grad_fn is None
    np.testing.assert_allclose(to_numpy(x.grad), [2.0, 4.0])
    assert t.grad is None
    # plain tensors (no requires_grad) mix freely, as before
    y = xp.asarray([1.0, 1.0], dtype=xp.float64) + torch.tensor([1.0, 2.0],
                                                                 dtype=torch.float64)
    np.testing.assert_allclose(to_numpy(y), [2.0, 3.0])


@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "torch"])
def test_other_backends_have_no_requires_grad_check(backend):
    xp = ag.namespace(backend)
    assert not xp._check_requires_grad


def test_torch_namespace_of_the_oracle_is_untouched():
    """The oracle (array_api_compat.torch) still differentiates with torch.autograd."""
    t = torch.tensor([[2.0, 1.0], [1.0, 3.0]], dtype=torch.float64, requires_grad=True)
    array_api_compat.torch.linalg.det(t).backward()
    np.testing.assert_allclose(t.grad.numpy(), [[3.0, -1.0], [-1.0, 2.0]])

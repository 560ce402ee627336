"""The wrapped array object: every attribute, method and operator of the standard's.

Spec section "Array object",
https://data-apis.org/array-api/latest/API_specification/array_object.html
and DESIGN.md, "Arrays".  Gradients are compared with PyTorch's autograd
(``tests/oracle.py``): each function body runs unchanged on torch tensors
through ``array_api_compat.torch``.
"""

from __future__ import annotations

import array_api_compat
import numpy as np
import pytest
import torch

import arrayapi_autograd as ag
from oracle import assert_matches_torch, to_numpy


def _var(xp, values):
    return xp.asarray(np.asarray(values, dtype=np.float64), dtype=xp.float64).requires_grad_()


M23 = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]


# ---------------------------------------------------------------------------
# attributes
# ---------------------------------------------------------------------------


def test_attributes_are_the_backends(xp):
    x = xp.reshape(xp.arange(6.0), (2, 3))
    raw = xp._xp.reshape(xp._xp.arange(6.0), (2, 3))
    assert x.dtype == raw.dtype
    assert x.device == array_api_compat.device(raw)
    assert x.ndim == 2 and x.shape == (2, 3) and x.size == 6
    assert isinstance(x.shape, tuple)
    assert xp.asarray(1.0).shape == () and xp.asarray(1.0).size == 1


def test_transposes(xp):
    x = xp.reshape(xp.arange(6.0), (2, 3))
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2)
    np.testing.assert_array_equal(to_numpy(x.T), to_numpy(x).T)
    b = xp.reshape(xp.arange(24.0), (2, 3, 4))
    np.testing.assert_array_equal(to_numpy(b.mT), np.swapaxes(to_numpy(b), -1, -2))
    with pytest.raises(ValueError, match="x.T requires a 2-D array, got 3-D"):
        b.T
    assert_matches_torch(xp, lambda xp, x: x.T * xp.asarray([[1.0, 2.0], [3.0, 4.0],
                                                              [5.0, 6.0]], dtype=xp.float64),
                         M23)
    assert_matches_torch(xp, lambda xp, x: xp.sin(x.mT), M23)


def test_to_device_same_device_is_differentiable(xp):
    x = xp.asarray([1.0, 2.0])
    y = x.to_device(x.device)
    assert y.device == x.device
    np.testing.assert_array_equal(to_numpy(y), to_numpy(x))

    def moved(xp, x):
        # through array_api_compat: torch tensors spell it .to(); ours is x.to_device
        return array_api_compat.to_device(x, array_api_compat.device(x)) * x

    assert_matches_torch(xp, moved, [1.0, -2.0])


def test_array_namespace(xp):
    x = xp.asarray([1.0])
    assert x.__array_namespace__() is xp
    assert x.__array_namespace__(api_version="2023.12") is xp
    assert array_api_compat.array_namespace(x) is xp
    assert array_api_compat.array_namespace(x, _var(xp, [1.0])) is xp
    with pytest.raises(ValueError, match="Unsupported array API version '1999.01'"):
        x.__array_namespace__(api_version="1999.01")


# ---------------------------------------------------------------------------
# conversion to Python and to other libraries
# ---------------------------------------------------------------------------


def test_python_scalar_conversions(xp):
    x = xp.asarray(2.5)
    assert bool(x) is True and bool(xp.asarray(0.0)) is False
    assert float(x) == 2.5 and int(x) == 2 and complex(x) == 2.5 + 0j
    i = xp.asarray(3)
    assert i.__index__() == 3 and [0, 1, 2, 3, 4][i] == 3 and int(i) == 3
    # a recorded array converts too (the value, not the history)
    v = _var(xp, 1.5) * 2
    assert float(v) == 3.0 and bool(v > 2.0)


def test_len_and_iteration(xp):
    x = xp.asarray([1.0, 2.0, 3.0])
    assert len(x) == 3
    assert [float(t) for t in x] == [1.0, 2.0, 3.0]
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d array"):
        len(xp.asarray(1.0))
    with pytest.raises(TypeError, match="iteration of a 0-d array"):
        iter(xp.asarray(1.0))


def test_dlpack(xp):
    x = xp.asarray([1.0, 2.0, 3.0])
    device_type, device_id = x.__dlpack_device__()
    assert int(device_type) == 1 and device_id == 0  # kDLCPU
    assert type(x.__dlpack__()).__name__ == "PyCapsule"
    back = xp.from_dlpack(x)
    np.testing.assert_array_equal(to_numpy(back), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(torch.from_dlpack(x).numpy(), [1.0, 2.0, 3.0])
    v = _var(xp, [1.0])
    with pytest.raises(RuntimeError, match="Cannot export an array of shape \\(1,\\).*requires "
                                           "a gradient through DLPack.*detach\\(\\)"):
        v.__dlpack__()
    np.testing.assert_array_equal(torch.from_dlpack(v.detach()).numpy(), [1.0])


def test_array_protocol(xp):
    v = _var(xp, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="part of a recorded graph.*Call .detach\\(\\) first"):
        np.asarray(v)
    with pytest.raises(RuntimeError, match="detach"):
        np.asarray(v * 2)
    xp.sum(v * v).backward()
    grad = np.asarray(v.grad)  # unrecorded: works
    assert isinstance(grad, np.ndarray) and grad.tolist() == [2.0, 4.0]
    assert np.asarray(v.detach(), dtype=np.float32).dtype == np.float32


def test_repr_shows_values_dtype_and_backend(xp):
    name = xp._backend_name
    x = xp.asarray([1.5, 2.0], dtype=xp.float64)
    assert repr(x) == f"Array([1.5, 2. ], dtype=float64, backend={name})"
    r = repr(xp.asarray([[1, 2], [3, 4]], dtype=xp.int32))
    assert "[[1, 2]," in r and "[3, 4]]" in r and "dtype=int32" in r and f"backend={name}" in r
    v = _var(xp, [1.0])
    assert "requires_grad=True" in repr(v)
    assert "node=multiply" in repr(v * 2)
    assert str(v) == repr(v)


# ---------------------------------------------------------------------------
# operators
# ---------------------------------------------------------------------------


def _arithmetic(xp, x, y):
    return (x + y) * (x - y) / (y * y + 1.0) + x ** 2 - (-x) + (+y) + abs(x) + x % 1.5 \
        + (x // y) * y


def _arithmetic_reference(xp, x, y):
    # torch has no derivative for floor_divide; floor(x / y) is the same function
    return (x + y) * (x - y) / (y * y + 1.0) + x ** 2 - (-x) + (+y) + abs(x) + x % 1.5 \
        + xp.floor(x / y) * y


def _reflected(xp, x, y):
    return 2.0 + x, 3.0 - x, 2.0 * y, 1.5 / (y * y + 1.0), 2.0 ** x, 2.5 % (y * y + 1.0)


def _reflected_reference(xp, x, y):
    # torch has no derivative of remainder for its divisor: 2.5 - floor(2.5 / d) * d
    d = y * y + 1.0
    return 2.0 + x, 3.0 - x, 2.0 * y, 1.5 / d, 2.0 ** x, 2.5 - xp.floor(2.5 / d) * d


def _inplace(xp, x, y):
    m = x * 1.0
    m += y
    m -= 0.5 * x
    m *= y
    m /= (x * x + 1.0)
    m **= 2
    m %= 3.0
    return m


def _matmul(xp, a, b):
    return xp.reshape(a, (2, 3)) @ xp.reshape(b, (3, 2)) @ xp.asarray([[1.0], [-1.0]],
                                                                       dtype=xp.float64)


def _imatmul(xp, a, b):
    m = xp.reshape(a * 1.0, (2, 2))
    m @= xp.reshape(b, (2, 2))
    return m


X = [0.5, -1.0, 2.0, 1.25, -0.3, 0.8]
Y = [1.5, 0.25, -0.75, 2.0, 0.6, -1.1]


@pytest.mark.parametrize("fn", [_inplace, _matmul], ids=lambda f: f.__name__.strip("_"))
def test_operators_match_torch(xp, fn):
    grads = assert_matches_torch(xp, fn, X, Y)
    assert all(np.any(g != 0) for g in grads)


def test_arithmetic_operators_match_torch(xp):
    grads = assert_matches_torch(xp, _arithmetic, X, Y, reference=_arithmetic_reference)
    assert all(np.any(g != 0) for g in grads)


def test_inplace_matmul_matches_torch(xp):
    assert_matches_torch(xp, _imatmul, X[:4], Y[:4])


def test_reflected_operators_match_torch(xp):
    for i in range(6):
        assert_matches_torch(xp, lambda xp, x, y, i=i: _reflected(xp, x, y)[i], X, Y,
                             reference=lambda xp, x, y, i=i: _reflected_reference(xp, x, y)[i])


def test_comparison_and_bitwise_operators(xp):
    a = xp.asarray([1, 2, 3, 4])
    b = xp.asarray([4, 2, 1, 4])
    raw_a, raw_b = xp._xp.asarray([1, 2, 3, 4]), xp._xp.asarray([4, 2, 1, 4])
    for op in ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__and__",
               "__or__", "__xor__", "__lshift__", "__rshift__"):
        ours = getattr(a, op)(b)
        theirs = getattr(raw_a, op)(raw_b)
        assert isinstance(ours, ag.Array)
        assert ours.dtype == theirs.dtype
        np.testing.assert_array_equal(to_numpy(ours), np.asarray(theirs), err_msg=op)
    np.testing.assert_array_equal(to_numpy(~a), np.asarray(~raw_a))
    np.testing.assert_array_equal(to_numpy(1 << a), np.asarray(1 << raw_a))
    c = xp.asarray([1, 2])
    c &= xp.asarray([3, 0])
    c |= 4
    c ^= 1
    c <<= 1
    c >>= 1
    c //= 2
    assert to_numpy(c).tolist() == [2, 2]
    v = _var(xp, [1.0, 2.0])
    assert not (v > 1.5).requires_grad and not (v == v).requires_grad


def test_inplace_keeps_the_array_and_its_dtype(xp):
    x = xp.asarray([1.0, 2.0], dtype=xp.float32)
    same = x
    x += xp.asarray([1.0, 1.0], dtype=xp.float32)
    x *= 2
    assert x is same and x.dtype == xp.float32
    assert to_numpy(x).tolist() == [4.0, 6.0]
    v = _var(xp, [1.0, 2.0]) * 1.0
    with pytest.raises(ValueError, match="would change the shape from \\(2,\\) to \\(2, 2\\)"):
        v += xp.ones((2, 2), dtype=xp.float64)


def test_operators_with_unsupported_objects_return_not_implemented(xp):
    x = xp.asarray([1.0])
    assert x.__add__("a") is NotImplemented
    with pytest.raises(TypeError):
        x + "a"


# ---------------------------------------------------------------------------
# constants: bare backend arrays and Python scalars
# ---------------------------------------------------------------------------


def test_backend_arrays_and_scalars_are_constants(xp):
    raw = xp._xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64)
    q = _var(xp, [0.5, 0.5, 0.5])
    out = q * raw + raw - 2.0
    assert isinstance(out, ag.Array) and out.__array_namespace__() is xp
    xp.sum(out * q).backward()
    # d/dq sum((q * raw + raw - 2) * q) = 2 q raw + raw - 2
    expected = 2 * 0.5 * np.array([1.0, 2.0, 3.0]) + np.array([1.0, 2.0, 3.0]) - 2.0
    np.testing.assert_allclose(to_numpy(q.grad), expected)
    # the same as torch with the raw array as a non-requires-grad constant
    assert_matches_torch(xp, lambda xp, q: (q * xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64)
                                            + xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64)
                                            - 2.0) * q, [0.5, 0.5, 0.5])
    assert isinstance(raw, type(xp._xp.asarray(0.0)))  # untouched, no gradient attached
    assert xp.multiply(raw, q).requires_grad and not xp.multiply(raw, raw).requires_grad


def test_backend_array_on_the_left_of_an_operator(xp):
    raw = xp._xp.asarray([1.0, 2.0], dtype=xp.float64)
    q = _var(xp, [3.0, 4.0])
    try:
        out = raw * q
    except TypeError as exc:
        # only a backend whose operators refuse unknown operands (array-api-strict)
        assert "Expected Array or Python scalar" in str(exc)
        assert xp._backend_name == "array_api_strict"
        return
    assert isinstance(out, ag.Array)
    xp.sum(out).backward()
    assert to_numpy(q.grad).tolist() == [1.0, 2.0]


# ---------------------------------------------------------------------------
# indexing
# ---------------------------------------------------------------------------


def _basic_getitem(xp, z):
    z = xp.reshape(z, (3, 4))
    return z[1, 1:3] * 2.0 + z[..., -1][:2] + z[::2, 0] + z[-1, ...][xp.asarray(2)]


def _integer_getitem(xp, z):
    z = xp.reshape(z, (3, 4))
    rows = xp.asarray([0, 2, 0])   # a repeated position accumulates
    cols = xp.asarray([1, 1, 1])
    return z[rows, cols] * xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64)


def _boolean_getitem(xp, z):
    z = xp.reshape(z, (3, 4))
    return z[z > 0.0] ** 2


def _setitem_basic(xp, z, w):
    z = xp.reshape(z * 1.0, (3, 4))
    z[1, :] = w[:4] * w[4:8]
    z[0, 0] = 5.0
    return z * z


def _setitem_boolean(xp, z, w):
    m = xp.reshape(z * 1.0, (3, 4))
    m[m > 0.5] = w[0]
    return m * xp.reshape(w, (3, 4))


def _setitem_integer(xp, z, w):
    m = z * 1.0
    m[xp.asarray([1, 3])] = w[:2] * 3.0
    return m * m


Z = [0.5, -1.0, 2.0, 1.25, -0.3, 0.8, 1.5, 0.25, -0.75, 2.0, 0.6, -1.1]
W = [0.1, 0.2, -0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 0.9, -1.0, 1.1, 1.2]


@pytest.mark.parametrize("fn", [_basic_getitem, _integer_getitem, _boolean_getitem],
                         ids=lambda f: f.__name__.strip("_"))
def test_getitem_matches_torch(xp, fn):
    (g,) = assert_matches_torch(xp, fn, Z)
    assert np.any(g != 0)


def test_integer_getitem_accumulates_repeats(xp):
    (g,) = assert_matches_torch(xp, _integer_getitem, Z)
    assert g.reshape(3, 4)[0, 1] == 1.0 + 3.0


@pytest.mark.parametrize("fn", [_setitem_basic, _setitem_boolean],
                         ids=lambda f: f.__name__.strip("_"))
def test_setitem_matches_torch(xp, fn):
    g_z, g_w = assert_matches_torch(xp, fn, Z, W)
    assert np.any(g_z != 0) and np.any(g_w != 0)


def test_integer_setitem_matches_torch_where_the_backend_has_it(xp):
    raw = xp._xp.zeros((4,))
    try:
        raw[xp._xp.asarray([1, 3])] = 1.0
    except IndexError:
        # the backend itself refuses (array-api-strict: integer-array setitem is
        # not in the standard); ours raises the same
        with pytest.raises(IndexError):
            _setitem_integer(xp, _var(xp, Z[:4]), _var(xp, W[:4]))
        return
    g_z, g_w = assert_matches_torch(xp, _setitem_integer, Z[:4], W[:4])
    assert g_z[1] == 0 and g_z[3] == 0 and g_w[0] != 0


def test_getitem_of_untracked_arrays_is_not_recorded(xp):
    z = xp.reshape(xp.arange(12.0), (3, 4))
    assert z[1, :]._node is None
    z[0, 0] = 7.0
    assert float(z[0, 0]) == 7.0


def test_setitem_with_a_wrapped_index(xp):
    z = xp.asarray([0.0, 2.0, 0.0])
    assert float(z[xp.asarray(1)]) == 2.0
    mask = xp.asarray([True, False, True])
    z[mask] = 1.0
    assert to_numpy(z).tolist() == [1.0, 2.0, 1.0]
    assert to_numpy(z[mask]).tolist() == [1.0, 1.0]

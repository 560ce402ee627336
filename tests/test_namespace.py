"""Building namespaces: ``namespace(backend)``, the importable modules, the extras.

DESIGN.md, "Namespaces".  Values are the backend's own: same dtype, shape,
device and values as the backend's array API namespace.
"""

from __future__ import annotations

import importlib
import sys

import array_api_compat
import array_api_compat.numpy
import array_api_compat.torch
import array_api_strict
import numpy as np
import pytest
import torch

import arrayapi_autograd as ag
from oracle import BACKENDS, assert_matches_torch, to_numpy

_MODULES = {"numpy": np, "torch": torch, "array_api_strict": array_api_strict}
_COMPAT = {"numpy": array_api_compat.numpy, "torch": array_api_compat.torch,
           "array_api_strict": array_api_strict}


@pytest.mark.parametrize("name", BACKENDS)
def test_namespace_of_a_module_a_compat_namespace_and_a_name_is_one_object(name):
    by_name = ag.namespace(name)
    assert ag.namespace(name) is by_name
    assert ag.namespace(_MODULES[name]) is by_name
    assert ag.namespace(_COMPAT[name]) is by_name
    assert ag.namespace(by_name) is by_name
    assert isinstance(by_name, ag.Namespace)
    assert by_name.__name__ == f"arrayapi_autograd.{name}"


@pytest.mark.parametrize("name", BACKENDS)
def test_ready_modules_are_the_namespaces(name):
    module = importlib.import_module(f"arrayapi_autograd.{name}")
    assert module is ag.namespace(name)
    assert sys.modules[f"arrayapi_autograd.{name}"] is module


def test_import_as_xp():
    import arrayapi_autograd.numpy as xp

    assert xp is ag.namespace("numpy")
    assert xp.asarray([1.0]).__array_namespace__() is xp


def test_cupy_without_a_gpu_raises_import_error_naming_what_is_missing():
    try:
        import cupy  # noqa: F401
    except ImportError:
        reason = "CuPy is not installed"
    else:  # pragma: no cover - a machine with CuPy
        reason = "CuPy found no usable CUDA GPU"
    sys.modules.pop("arrayapi_autograd.cupy", None)
    with pytest.raises(ImportError, match=f"The cupy backend is not available: {reason}.*"
                                          r"pip install 'arrayapi-autograd\[cupy\]'"):
        importlib.import_module("arrayapi_autograd.cupy")


@pytest.mark.parametrize("backend", ["no_such_backend", 42, sys, "os"])
def test_unknown_backend_is_a_value_error(backend):
    with pytest.raises(ValueError, match="Unknown backend .*pass an array API namespace module"):
        ag.namespace(backend)


def test_array_api_version(xp):
    """The edition we implement, 2024.12 by default, whatever the backend reports."""
    assert getattr(xp._xp, "__array_api_version__") >= "2024.12"
    assert xp.__array_api_version__ == "2024.12"
    x = xp.asarray([1.0])
    assert x.__array_namespace__() is xp


def test_array_api_version_can_be_set(xp):
    previous = ag.set_array_api_version("2025.12")
    try:
        assert previous == "2024.12"
        assert xp.__array_api_version__ == min("2025.12", xp._xp.__array_api_version__)
        assert ag.set_array_api_version("2023.12") == "2025.12"
        assert xp.__array_api_version__ == "2023.12"
        with pytest.raises(ValueError, match="Unsupported array API version '1999.01'"):
            ag.set_array_api_version("1999.01")
    finally:
        ag.set_array_api_version(previous)
    assert xp.__array_api_version__ == "2024.12"


def test_version_in_force_decides_the_containers(xp):
    """meshgrid, broadcast_arrays, devices(): a list in 2024.12, a tuple in 2025.12.

    SciPy's test fixtures write ``devices() + [None]``; the backends' own
    namespaces (2025.12) return tuples.
    """
    a, b = xp.arange(2.0), xp.arange(3.0)
    info = xp.__array_namespace_info__()
    assert type(info.devices()) is list
    assert info.devices() + [None]
    assert type(xp.meshgrid(a, b)) is list
    assert type(xp.broadcast_arrays(a, xp.ones((3, 1)))) is list
    assert type(xp.unstack(xp.ones((2, 2)))) is tuple  # a tuple in every edition
    previous = ag.set_array_api_version("2025.12")
    try:
        assert type(info.devices()) is tuple
        assert type(xp.meshgrid(a, b)) is tuple
        assert type(xp.broadcast_arrays(a, xp.ones((3, 1)))) is tuple
    finally:
        ag.set_array_api_version(previous)


def test_namespace_info_follows_the_backend(xp):
    ours, theirs = xp.__array_namespace_info__(), xp._xp.__array_namespace_info__()
    assert list(ours.devices()) == list(theirs.devices())
    assert ours.default_device() == theirs.default_device()
    assert ours.capabilities() == theirs.capabilities()
    assert ours.dtypes(kind="real floating") == theirs.dtypes(kind="real floating")
    assert ours.default_dtypes() == theirs.default_dtypes()


def test_meshgrid_list_is_differentiable(xp):
    x = xp.asarray([1.0, 2.0]).requires_grad_()
    y = xp.asarray([3.0, 4.0, 5.0]).requires_grad_()
    gx, gy = xp.meshgrid(x, y)
    xp.sum(gx * gy).backward()
    np.testing.assert_allclose(to_numpy(x.grad), [12.0, 12.0])
    np.testing.assert_allclose(to_numpy(y.grad), [3.0, 3.0, 3.0])


def test_constants_and_dtypes(xp):
    backend = xp._xp
    for name in ("e", "inf", "nan", "pi", "newaxis"):
        value = getattr(xp, name)
        if name == "nan":
            assert value != value
        else:
            assert value == getattr(backend, name)
    for name in ("bool", "int8", "int16", "int32", "int64", "uint8", "float32", "float64",
                 "complex64", "complex128"):
        assert getattr(xp, name) == getattr(backend, name)
    info = xp.__array_namespace_info__()
    assert info.default_dtypes() == backend.__array_namespace_info__().default_dtypes()
    assert isinstance(xp.linalg.vector_norm, type(xp.sin))


def test_private_records_are_not_public_names(xp):
    assert not hasattr(type(xp), "_scatter_add") and "_scatter_add" not in vars(xp)
    assert callable(xp._to_device)  # the Namespace method, not shadowed


@pytest.mark.parametrize("call", [
    ("arange", (5,), {}),
    ("arange", (1.0, 3.0, 0.5), {}),
    ("linspace", (0.0, 1.0, 5), {}),
    ("zeros", ((2, 3),), {}),
    ("ones", ((2,),), {"dtype": "float32"}),
    ("eye", (3,), {}),
    ("full", ((2,), 7), {}),
], ids=lambda c: c[0])
def test_creation_values_are_the_backends(xp, call):
    name, args, kwargs = call
    kwargs = {k: getattr(xp, v) if k == "dtype" else v for k, v in kwargs.items()}
    ours = getattr(xp, name)(*args, **kwargs)
    theirs = getattr(xp._xp, name)(*args, **kwargs)
    assert isinstance(ours, ag.Array)
    assert ours.dtype == theirs.dtype and ours.shape == tuple(theirs.shape)
    assert ours.device == array_api_compat.device(theirs)
    np.testing.assert_array_equal(to_numpy(ours), np.asarray(theirs))


@pytest.mark.parametrize("call", [
    ("full", lambda ns: ((3,), ns.asarray(2)), {"dtype": "int32"}),
    ("full_like", lambda ns: (ns.zeros(2), ns.asarray(5.0)), {}),
    ("arange", lambda ns: (1, ns.asarray(4)), {}),
], ids=lambda c: c[0])
def test_creation_takes_a_0d_array_where_the_standard_asks_a_scalar(xp, call):
    # as NumPy, PyTorch and array-api-strict (but full) do; SciPy relies on it
    name, make_args, kwargs = call
    kwargs = {k: getattr(xp, v) for k, v in kwargs.items()}
    args = make_args(xp)
    raw = [a._data if isinstance(a, ag.Array) else a for a in args]
    try:
        theirs = getattr(xp._xp, name)(*raw, **kwargs)
    except TypeError as error:  # the backend refuses it: ours raises the same
        with pytest.raises(TypeError, match=str(error)[:30]):
            getattr(xp, name)(*args, **kwargs)
        return
    ours = getattr(xp, name)(*args, **kwargs)
    assert ours.dtype == theirs.dtype and ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(to_numpy(ours), np.asarray(theirs))


def test_creation_refuses_a_fill_value_that_requires_a_gradient(xp):
    value = xp.asarray(2.0)
    value.requires_grad_()
    with pytest.raises(TypeError, match="fill_value.*creation functions record nothing"):
        xp.full((3,), value)


def test_asarray_casts_and_moves_at_once_and_stays_differentiable():
    ns = ag.namespace("array_api_strict")
    x = ns.asarray([1.0, 2.0], dtype=ns.float64)
    x.requires_grad_()
    y = ns.asarray(x, dtype=ns.float32, device=array_api_strict.Device("device1"))
    assert y.dtype == ns.float32
    np.testing.assert_array_equal(to_numpy(y), [1.0, 2.0])
    ns.sum(y * ns.asarray([3.0, 4.0], dtype=ns.float32, device=y.device)).backward()
    assert x.grad.dtype == ns.float64
    np.testing.assert_array_equal(to_numpy(x.grad), [3.0, 4.0])


@pytest.mark.parametrize("name", ["sin", "exp", "sum", "mean", "abs", "sqrt"])
def test_function_values_are_the_backends(xp, name):
    raw = xp._xp.asarray([[0.5, 1.5], [2.0, 3.0]], dtype=xp._xp.float32)
    ours = getattr(xp, name)(xp.asarray(raw))
    theirs = getattr(xp._xp, name)(raw)
    assert ours.dtype == theirs.dtype and ours.shape == tuple(theirs.shape)
    assert ours.device == array_api_compat.device(theirs)
    np.testing.assert_array_equal(to_numpy(ours), np.asarray(theirs))
    # and the recorded function gives the same values and torch's gradient
    assert_matches_torch(xp, lambda xp, x: getattr(xp, name)(x), [[0.5, 1.5], [2.0, 3.0]])


def test_signatures_are_the_standards(xp):
    import inspect

    sig = inspect.signature(xp.sum)
    kinds = {p.name: p.kind for p in sig.parameters.values()}
    assert kinds["x"] is inspect.Parameter.POSITIONAL_ONLY
    assert kinds["axis"] is inspect.Parameter.KEYWORD_ONLY
    with pytest.raises(TypeError):
        xp.sum(x=xp.asarray([1.0]))
    with pytest.raises(TypeError):
        xp.sum(xp.asarray([1.0]), 0)


# ---------------------------------------------------------------------------
# the random extra
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("draw", ["normal", "uniform", "integers"])
def test_random_is_seeded_and_reproducible(xp, draw):
    args = (10,) if draw == "integers" else ()
    xp.random.seed(1234)
    a = getattr(xp.random, draw)(*args, size=(3, 2))
    b = getattr(xp.random, draw)(*args, size=(3, 2))
    xp.random.seed(1234)
    c = getattr(xp.random, draw)(*args, size=(3, 2))
    assert isinstance(a, ag.Array) and a.__array_namespace__() is xp
    assert a.shape == (3, 2)
    np.testing.assert_array_equal(to_numpy(a), to_numpy(c))
    assert not np.array_equal(to_numpy(a), to_numpy(b))
    assert not a.requires_grad


def test_random_default_dtypes_are_the_backends(xp):
    defaults = xp._xp.__array_namespace_info__().default_dtypes()
    assert xp.random.normal().dtype == defaults["real floating"]
    assert xp.random.normal().shape == ()
    assert xp.random.uniform(size=4).dtype == defaults["real floating"]
    assert xp.random.integers(5, size=4).dtype == defaults["integral"]
    assert xp.random.normal(size=2, dtype=xp.float32).dtype == xp.float32


def test_random_values_have_the_requested_distribution(xp):
    xp.random.seed(0)
    u = to_numpy(xp.random.uniform(2.0, 3.0, size=2000))
    assert u.min() >= 2.0 and u.max() < 3.0 and abs(u.mean() - 2.5) < 0.05
    n = to_numpy(xp.random.normal(1.0, 2.0, size=4000))
    assert abs(n.mean() - 1.0) < 0.15 and abs(n.std() - 2.0) < 0.15
    i = to_numpy(xp.random.integers(3, 6, size=500))
    assert set(i.tolist()) == {3, 4, 5}


def test_random_namespaces_are_independent():
    a, b = ag.namespace("numpy"), ag.namespace("array_api_strict")
    a.random.seed(5)
    b.random.seed(5)
    first = to_numpy(a.random.normal(size=3))
    b.random.normal(size=3)   # drawing from b does not advance a
    a.random.seed(5)
    np.testing.assert_array_equal(to_numpy(a.random.normal(size=3)), first)


def test_random_lists_what_it_offers(xp):
    """Tab completion finds the generator's functions."""
    names = dir(xp.random)
    for name in ("seed", "normal", "uniform", "integers", "permutation"):
        assert name in names


def test_random_permutation(xp):
    xp.random.seed(3)
    p = to_numpy(xp.random.permutation(10))
    assert sorted(p.tolist()) == list(range(10)) and p.tolist() != list(range(10))
    xp.random.seed(3)
    np.testing.assert_array_equal(to_numpy(xp.random.permutation(10)), p)  # seeded
    # an array: its rows shuffled, differentiable through the indexing
    x = xp.asarray(np.arange(12.0).reshape(4, 3))
    x.requires_grad_()
    xp.random.seed(3)
    rows = xp.random.permutation(x)
    order = to_numpy(rows)[:, 0] / 3
    assert sorted(order.tolist()) == [0.0, 1.0, 2.0, 3.0]
    weights = xp.asarray(np.arange(1.0, 13.0).reshape(4, 3))
    xp.sum(rows * weights).backward()
    expected = np.zeros((4, 3))
    expected[order.astype(int)] = np.arange(1.0, 13.0).reshape(4, 3)
    np.testing.assert_array_equal(to_numpy(x.grad), expected)


def test_random_permutation_refuses_what_it_cannot_shuffle(xp):
    with pytest.raises(ValueError, match="0-d array"):
        xp.random.permutation(xp.asarray(1.0))
    with pytest.raises(TypeError, match="integer or an array"):
        xp.random.permutation([1, 2, 3])

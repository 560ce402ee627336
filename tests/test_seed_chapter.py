"""The seed chapter, replayed cell by cell on every backend.

The seed (``/work/shared/seeds/000_*.txt``) is the Portuguese edition of
d2l.ai's "Automatic differentiation" chapter for MXNet.  Each test below is
one of its cells (``In [n]``) or exercises, with ``from mxnet import autograd,
np`` replaced by ``from arrayapi_autograd import autograd`` and one of our
namespaces, and ``np.dot``/``np.linalg.norm``/``np.random.normal`` by the
standard's ``vecdot``/``linalg.vector_norm`` and the ``random`` extra.  The
printed outputs of the chapter are asserted literally, and every gradient is
also compared with PyTorch's autograd through ``tests/oracle.py``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from arrayapi_autograd import autograd
from oracle import assert_matches_torch, to_numpy


def test_import_names_of_the_chapter():
    # In [1]: `from mxnet import autograd, np` becomes these two imports
    import arrayapi_autograd
    import arrayapi_autograd.numpy as xp

    assert xp is arrayapi_autograd.namespace("numpy")
    for name in ("record", "pause", "is_recording", "backward", "grad"):
        assert callable(getattr(autograd, name))


@pytest.fixture
def x(xp):
    # In [1]: x = np.arange(4.0); x  ->  array([0., 1., 2., 3.])
    x = xp.arange(4.0)
    assert to_numpy(x).tolist() == [0.0, 1.0, 2.0, 3.0]
    # In [2]: x.attach_grad(); x.grad  ->  array([0., 0., 0., 0.])
    x.attach_grad()
    assert to_numpy(x.grad).tolist() == [0.0, 0.0, 0.0, 0.0]
    assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
    return x


def test_cells_1_to_5_gradient_of_2_xTx(xp, x):
    # In [3]: with autograd.record(): y = 2 * np.dot(x, x); y  ->  array(28.)
    with autograd.record():
        y = 2 * xp.vecdot(x, x)
    assert y.shape == ()
    assert float(y) == 28.0
    # In [4]: y.backward(); x.grad  ->  array([ 0.,  4.,  8., 12.])
    y.backward()
    assert to_numpy(x.grad).tolist() == [0.0, 4.0, 8.0, 12.0]
    # In [5]: x.grad == 4 * x  ->  array([ True,  True,  True,  True])
    assert to_numpy(x.grad == 4 * x).tolist() == [True] * 4
    assert_matches_torch(xp, lambda xp, x: 2 * xp.vecdot(x, x), [0.0, 1.0, 2.0, 3.0])


def test_cell_6_next_backward_overwrites(xp, x):
    with autograd.record():
        y = 2 * xp.vecdot(x, x)
    y.backward()
    # In [6]: with autograd.record(): y = x.sum(); y.backward(); x.grad  ->  ones
    with autograd.record():
        y = xp.sum(x)
    y.backward()
    assert to_numpy(x.grad).tolist() == [1.0, 1.0, 1.0, 1.0]  # overwritten, not added
    assert_matches_torch(xp, lambda xp, x: xp.sum(x), [0.0, 1.0, 2.0, 3.0])


def test_cell_7_backward_of_a_vector_sums_it(xp, x):
    # In [7]: y = x * x (a vector); y.backward(); x.grad  ->  array([0., 2., 4., 6.])
    with autograd.record():
        y = x * x
    assert y.shape == (4,)
    y.backward()
    assert to_numpy(x.grad).tolist() == [0.0, 2.0, 4.0, 6.0]
    # the oracle gives torch the head gradient ones(4): the same as summing y
    assert_matches_torch(xp, lambda xp, x: x * x, [0.0, 1.0, 2.0, 3.0])


def test_cells_8_and_9_detach(xp, x):
    # In [8]: u = y.detach(); z = u * x; z.backward(); x.grad == u  ->  all True
    with autograd.record():
        y = x * x
        u = y.detach()
        z = u * x
    z.backward()
    assert u._node is None and not u.requires_grad
    assert to_numpy(x.grad == u).tolist() == [True] * 4
    assert to_numpy(x.grad).tolist() == [0.0, 1.0, 4.0, 9.0]
    # In [9]: y.backward(); x.grad == 2 * x  ->  all True (y's graph was kept)
    y.backward()
    assert to_numpy(x.grad == 2 * x).tolist() == [True] * 4

    def detached(xp, x):
        return (x * x).detach() * x

    assert_matches_torch(xp, detached, [0.0, 1.0, 2.0, 3.0])


def f(xp, a):
    """In [10]: the chapter's function with a while loop and an if."""
    b = a * 2
    while xp.linalg.vector_norm(b) < 1000:
        b = b * 2
    if xp.sum(b) > 0:
        c = b
    else:
        c = 100 * b
    return c


def _slope(a_values) -> float:
    """The k of f(a) = k * a, computed in plain Python (f is piecewise linear)."""
    k = 2.0
    norm = math.sqrt(sum(v * v for v in a_values))
    while norm * k < 1000:
        k *= 2
    return k if sum(a_values) * k > 0 else 100 * k


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_cells_10_to_12_python_control_flow(xp, seed):
    # In [11]: a = np.random.normal(); a.attach_grad(); d = f(a); d.backward()
    xp.random.seed(seed)
    a = xp.random.normal()
    assert a.shape == ()
    a.attach_grad()
    with autograd.record():
        d = f(xp, a)
    d.backward()
    # In [12]: a.grad == d / a  ->  array(True)
    assert bool(a.grad == d / a)
    assert float(a.grad) == _slope([float(a)])
    assert_matches_torch(xp, f, float(a))


def test_cell_11_negative_input_takes_the_else_branch(xp):
    a = xp.asarray(-0.3, dtype=xp.float64)
    a.attach_grad()
    with autograd.record():
        d = f(xp, a)
    d.backward()
    assert float(a.grad) == 100 * 4096  # 0.3 * 2**12 >= 1000, then times 100
    assert bool(a.grad == d / a)
    assert_matches_torch(xp, f, -0.3)


def test_exercise_1_second_derivative_through_create_graph(xp):
    # The second derivative costs a backward of the recorded backward pass.
    x = xp.arange(4.0)
    x.attach_grad()
    with autograd.record():
        y = x ** 3
    (dy,) = autograd.grad(y, [x], create_graph=True)
    assert to_numpy(dy).tolist() == to_numpy(3 * x ** 2).tolist()
    dy.backward()
    assert to_numpy(x.grad).tolist() == to_numpy(6 * x).tolist() == [0.0, 6.0, 12.0, 18.0]
    assert_matches_torch(xp, lambda xp, x: x ** 3, [0.0, 1.0, 2.0, 3.0],
                         create_graph_order=2)


def test_exercise_2_second_backward_raises_then_retain_graph(xp, x):
    with autograd.record():
        y = 2 * xp.vecdot(x, x)
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    # with retain_graph=True the graph survives, and "write" overwrites each time
    with autograd.record():
        y = 2 * xp.vecdot(x, x)
    y.backward(retain_graph=True)
    y.backward()
    assert to_numpy(x.grad).tolist() == [0.0, 4.0, 8.0, 12.0]


@pytest.mark.parametrize("shape", [(3,), (2, 3)])
def test_exercise_3_control_flow_of_a_random_vector(xp, shape):
    # f(a) is no longer a scalar: backward() sums it, so the gradient is the
    # derivative of sum(k * a), i.e. the same k in every element, which is
    # d / a elementwise (k depends on a through the norm and the sign of sum).
    xp.random.seed(7)
    a = xp.random.normal(size=shape)
    a.attach_grad()
    with autograd.record():
        d = f(xp, a)
    assert d.shape == shape
    d.backward()
    k = _slope(to_numpy(a).ravel().tolist())
    np.testing.assert_array_equal(to_numpy(a.grad), np.full(shape, k))
    np.testing.assert_allclose(to_numpy(a.grad), to_numpy(d / a), rtol=1e-6)
    assert_matches_torch(xp, f, to_numpy(a))


def test_exercise_5_derivative_of_sin_is_cos(xp):
    x = xp.linspace(-2 * math.pi, 2 * math.pi, 101, dtype=xp.float64)
    x.attach_grad()
    with autograd.record():
        y = xp.sin(x)
    y.backward()
    np.testing.assert_allclose(to_numpy(x.grad), to_numpy(xp.cos(x)), rtol=0, atol=1e-15)
    assert_matches_torch(xp, lambda xp, x: xp.sin(x), to_numpy(x))


def test_exercise_5_example_script_runs(capsys):
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).parents[1] / "docs" / "examples" / "sin_and_derivative.py"
    spec = importlib.util.spec_from_file_location("sin_and_derivative", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    x, y, dy = module.sin_and_derivative(n=9)
    np.testing.assert_allclose(dy, np.cos(x), atol=1e-15)
    np.testing.assert_allclose(y, np.sin(x), atol=1e-15)
    module.print_table(x, y, dy)
    out = capsys.readouterr().out
    assert "cos(x)" in out and len(out.splitlines()) == 10

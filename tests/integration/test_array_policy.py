"""The ``__array__`` policy: no silent loss of a gradient through ``numpy.asarray``.

An array that is part of a recorded graph (a variable, a recorded result, or an
array carrying a forward-mode tangent) refuses the conversion with a
``RuntimeError`` that suggests ``detach()``, as PyTorch's ``Tensor.numpy()`` does.
Arrays without history convert freely, so ``x.grad``, detached values and results
computed under ``no_grad()`` go straight to NumPy, Matplotlib or SciPy's compiled code.
"""

import numpy as np
import pytest

import arrayapi_autograd as aa

BACKENDS = ["numpy", "torch", "array_api_strict"]


@pytest.fixture(params=BACKENDS)
def xp(request):
    pytest.importorskip(request.param)
    return aa.namespace(request.param)


def _variable(xp):
    x = xp.linspace(0.0, 1.0, 5, dtype=xp.float64)
    x.requires_grad_()
    return x


def test_recorded_result_refuses(xp):
    x = _variable(xp)
    y = xp.sin(x)
    with pytest.raises(RuntimeError, match=r"recorded graph.*\.detach\(\)"):
        np.asarray(y)


def test_variable_refuses(xp):
    x = _variable(xp)
    with pytest.raises(RuntimeError, match=r"\.detach\(\)"):
        np.asarray(x)
    x = xp.ones(3, dtype=xp.float64)
    x.attach_grad()
    with pytest.raises(RuntimeError, match=r"\.detach\(\)"):
        np.array(x)


def test_array_with_tangent_refuses(xp):
    from arrayapi_autograd._tape import dual_level, make_dual

    x = xp.linspace(0.0, 1.0, 5, dtype=xp.float64)
    with dual_level() as level:
        dual = make_dual(x, xp.ones_like(x), level)
        with pytest.raises(RuntimeError, match=r"\.detach\(\)"):
            np.asarray(xp.sin(dual))


def test_grad_detached_and_unrecorded_convert(xp):
    x = _variable(xp)
    y = xp.sum(xp.sin(x))
    y.backward()
    expected = np.cos(np.linspace(0.0, 1.0, 5))
    np.testing.assert_allclose(np.asarray(x.grad), expected, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(x.detach()), np.linspace(0.0, 1.0, 5))
    with aa.no_grad():
        z = xp.sin(x)
    assert not z.requires_grad
    np.testing.assert_allclose(np.asarray(z), np.sin(np.linspace(0.0, 1.0, 5)), rtol=1e-12)
    plain = xp.arange(3.0)  # never a variable
    np.testing.assert_array_equal(np.asarray(plain), [0.0, 1.0, 2.0])


def test_dtype_and_copy_arguments(xp):
    x = xp.asarray([1.0, 2.0, 3.0], dtype=xp.float64)
    as32 = np.asarray(x, dtype=np.float32)
    assert as32.dtype == np.float32
    np.testing.assert_array_equal(as32, [1.0, 2.0, 3.0])
    copied = np.array(x, copy=True)
    copied[0] = 100.0
    assert float(x[0]) == 1.0  # a requested copy never aliases the array
    with pytest.raises(ValueError):
        np.asarray(x, dtype=np.float32, copy=False)


def test_plotting_a_gradient(xp, tmp_path):
    """The tutorial's figure: sin and its derivative from the tape, through Matplotlib."""
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = xp.linspace(-3.0, 3.0, 50, dtype=xp.float64)
    x.attach_grad()
    y = xp.sin(x)
    y.backward()
    fig, ax = plt.subplots()
    ax.plot(x.detach(), y.detach(), label="sin(x)")
    lines = ax.plot(x.detach(), x.grad, label="d sin(x)/dx")
    np.testing.assert_allclose(lines[0].get_ydata(), np.cos(np.linspace(-3.0, 3.0, 50)),
                               rtol=1e-12)
    fig.savefig(tmp_path / "sin.png")
    plt.close(fig)
    assert (tmp_path / "sin.png").stat().st_size > 0
    with pytest.raises(RuntimeError, match=r"\.detach\(\)"):
        ax.plot(x.detach(), y)  # y is still in the graph (its backward freed only buffers)

"""The JAX backend: gradients equal ``jax.grad``'s, and the whole tape traces under ``jax.jit``.

The same functions are written once over ``arrayapi_autograd.jax`` (``xp``)
and once over ``jax.numpy`` (``jnp``); our ``grad``, eager and under
``jax.jit``, must equal ``jax.grad``.  Float64 is switched on for this module
only (``jax_enable_x64``, restored afterwards).
"""

from __future__ import annotations

import numpy as np
import pytest

jax = pytest.importorskip("jax", reason="JAX is not installed (pip install "
                                        "'arrayapi-autograd[jax]')")
import jax.numpy as jnp  # noqa: E402

import arrayapi_autograd as ag  # noqa: E402
import arrayapi_autograd.jax as xp  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def _x64():
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    yield
    jax.config.update("jax_enable_x64", previous)


def _setitem_ours(a):
    b = a * 1.0
    b[0, :] = xp.sin(a[1, :])
    b += a
    return xp.sum(b ** 2)


def _setitem_jax(a):
    b = a.at[0, :].set(jnp.sin(a[1, :])) + a
    return jnp.sum(b ** 2)


# name: (ours over xp, the same over jnp)
CASES = {
    "elementwise": (lambda a: xp.sum(xp.tanh(a) ** 2 * xp.exp(-a) + xp.log1p(a * a)),
                    lambda a: jnp.sum(jnp.tanh(a) ** 2 * jnp.exp(-a) + jnp.log1p(a * a))),
    "reductions": (lambda a: xp.sum(xp.max(a, axis=0) ** 2) + xp.mean(xp.std(a, axis=1))
                   + xp.prod(a[0]),
                   lambda a: jnp.sum(jnp.max(a, axis=0) ** 2) + jnp.mean(jnp.std(a, axis=1))
                   + jnp.prod(a[0])),
    "indexing": (lambda a: xp.sum(xp.where(a > 0, a, 0.5 * a)[1:, ::2] ** 3)
                 + xp.sum(a[xp.asarray([0, 2, 2])] ** 2),
                 lambda a: jnp.sum(jnp.where(a > 0, a, 0.5 * a)[1:, ::2] ** 3)
                 + jnp.sum(a[jnp.asarray([0, 2, 2])] ** 2)),
    "linalg": (lambda a: xp.sum(xp.linalg.inv(a)) + xp.linalg.slogdet(a)[1]
               + xp.sum(xp.linalg.solve(a, a[:, :2])),
               lambda a: jnp.sum(jnp.linalg.inv(a)) + jnp.linalg.slogdet(a)[1]
               + jnp.sum(jnp.linalg.solve(a, a[:, :2]))),
    "fft": (lambda a: xp.sum(xp.abs(xp.fft.fft(a)) ** 2 * a)
            + xp.sum(xp.fft.irfft(xp.fft.rfft(a)) * a),
            lambda a: jnp.sum(jnp.abs(jnp.fft.fft(a)) ** 2 * a)
            + jnp.sum(jnp.fft.irfft(jnp.fft.rfft(a)) * a)),
    "sort_cumsum": (lambda a: xp.sum(xp.sort(a, axis=1)[:, -1])
                    + xp.sum(xp.cumulative_sum(a, axis=0) ** 2),
                    lambda a: jnp.sum(jnp.sort(a, axis=1)[:, -1])
                    + jnp.sum(jnp.cumsum(a, axis=0) ** 2)),
    "matmul_concat": (lambda a: xp.sum(xp.concat([a @ a.mT, a], axis=0) ** 2)
                      + xp.vecdot(a[0], a[1]),
                      lambda a: jnp.sum(jnp.concatenate([a @ a.T, a], axis=0) ** 2)
                      + jnp.vecdot(a[0], a[1])),
    "setitem_inplace": (_setitem_ours, _setitem_jax),
}


def _matrix():
    rng = np.random.default_rng(0)
    return jnp.asarray(rng.standard_normal((4, 4)) + 4 * np.eye(4))


def test_ready_module_is_the_namespace():
    assert xp is ag.namespace("jax")
    assert xp._xp is jnp


@pytest.mark.parametrize("name", sorted(CASES))
def test_grad_equals_jax_grad_eager_and_jitted(name):
    ours, reference = CASES[name]
    a = _matrix()
    expected = np.asarray(jax.grad(reference)(a))
    eager = ag.grad(ours)(a)  # a raw jax array in, a wrapped gradient out
    assert isinstance(eager, ag.Array) and eager._ns is xp
    np.testing.assert_allclose(np.asarray(eager._data), expected, rtol=1e-10, atol=1e-12)
    jitted = jax.jit(ag.grad(ours))(a)
    assert isinstance(jitted, ag.Array) and jitted.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(jitted._data), expected, rtol=1e-10, atol=1e-12)


def test_backward_and_tape_trace_under_jit():
    """``backward`` and ``x.grad`` inside a jitted function; wrapped arrays in and out."""

    @jax.jit
    def step(x):
        x = x.detach()
        x.requires_grad_()
        loss = xp.sum(xp.sin(x) ** 2)
        loss.backward()
        with ag.no_grad():
            return x - 0.1 * x.grad, loss.detach()

    x = xp.asarray(jnp.linspace(-1.0, 1.0, 5))
    new_x, loss = step(x)
    assert isinstance(new_x, ag.Array) and new_x._ns is xp and new_x.shape == (5,)
    raw = jnp.linspace(-1.0, 1.0, 5)
    np.testing.assert_allclose(np.asarray(new_x._data),
                               np.asarray(raw - 0.1 * jax.grad(lambda r: jnp.sum(jnp.sin(r) ** 2))(raw)),
                               rtol=1e-12)
    np.testing.assert_allclose(float(loss), float(jnp.sum(jnp.sin(raw) ** 2)), rtol=1e-12)


def test_forward_mode_and_second_order_under_jit():
    v = jnp.linspace(-1.0, 2.0, 4)
    f_ours = lambda a: xp.sum(xp.sin(a) ** 3 * a)  # noqa: E731
    f_jax = lambda a: jnp.sum(jnp.sin(a) ** 3 * a)  # noqa: E731
    hessian = jax.jit(ag.hessian(f_ours))(v)
    np.testing.assert_allclose(np.asarray(hessian._data), np.asarray(jax.hessian(f_jax)(v)),
                               rtol=1e-10, atol=1e-12)
    _, tangent = jax.jit(lambda a, t: ag.jvp(f_ours, (a,), (t,)))(v, jnp.ones(4))
    np.testing.assert_allclose(float(tangent), float(jax.jvp(f_jax, (v,), (jnp.ones(4),))[1]),
                               rtol=1e-12)
    second = jax.jit(ag.grad(ag.grad(lambda a: xp.sin(a) * a)))(jnp.asarray(0.5))
    expected = jax.grad(jax.grad(lambda a: jnp.sin(a) * a))(jnp.asarray(0.5))
    np.testing.assert_allclose(float(second), float(expected), rtol=1e-12)


def test_traced_values_cannot_be_converted():
    """Under jit, bool() of a traced value fails as it does in JAX (no Python control flow)."""

    @jax.jit
    def f(a):
        return bool(xp.sum(xp.asarray(a)) > 0)

    with pytest.raises(jax.errors.ConcretizationTypeError):
        f(jnp.ones(3))


def test_jit_compiles_once_and_is_reused():
    traces = []

    def f(a):
        traces.append(1)
        return xp.sum(xp.exp(a) * a)

    g = jax.jit(ag.grad(f))
    for k in range(3):
        out = g(jnp.full((3,), float(k)))
        np.testing.assert_allclose(np.asarray(out._data), np.exp(k) * (k + 1.0) * np.ones(3))
    assert len(traces) == 1


def test_constants_and_wrapped_inputs_mix_with_tracers():
    """A bare jax array (or a tracer) combines with wrapped arrays as a constant."""
    c = jnp.asarray([1.0, 2.0, 3.0])

    @jax.jit
    def f(a, b):
        return ag.grad(lambda x: xp.sum(x * b + c * x ** 2))(a)

    out = f(xp.asarray([0.0, 1.0, 2.0]), jnp.asarray([5.0, 5.0, 5.0]))
    np.testing.assert_allclose(np.asarray(out._data), [5.0, 9.0, 17.0])


def test_jit_benchmark_smoke():
    """``benchmarks/jax_jit.py`` runs at a tiny size and its four gradients agree."""
    import pathlib
    import sys

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    from benchmarks import jax_jit

    results = jax_jit.run(repeats=1, quick=True)
    assert set(results) == {"ours-jax", "ours-jax-jit", "jax", "jax-jit"}
    reference = results["jax"][1]
    for name, (seconds, grads) in results.items():
        assert seconds > 0, name
        for g, r in zip(grads, reference):
            np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-6, err_msg=name)


def test_a_second_jit_of_a_function_with_python_constants():
    # constants made inside one trace must not be reused by the next (float32, JAX's default)
    def f(w):
        return xp.sum(3.0 * w) + xp.sum(xp.exp(w) * 3.0)

    for _ in range(2):
        jitted = jax.jit(ag.grad(f))
        for scale in (1.0, 2.0):
            w = jnp.asarray([1.0, 2.0], dtype=jnp.float32) * scale
            got = np.asarray(jitted(w).compute())
            assert got.dtype == np.float32
            np.testing.assert_allclose(got, 3.0 + 3.0 * np.exp(np.asarray(w)), rtol=1e-6)

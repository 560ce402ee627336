"""The Dask backend: forward and backward build task graphs, nothing runs before ``compute``.

Gradients over ``arrayapi_autograd.dask`` are compared with the same functions
differentiated over ``arrayapi_autograd.numpy``; a task-counting Dask callback
checks that recording, the backward, ``repr`` and the transforms execute no
task; a gradient of a chunked 10^6-element computation runs on a
``dask.distributed`` ``LocalCluster`` (threads in this process, in-process transport: no socket).
"""

from __future__ import annotations

import numpy as np
import pytest

da = pytest.importorskip("dask.array", reason="Dask is not installed (pip install "
                                                 "'arrayapi-autograd[dask]')")
from dask.callbacks import Callback  # noqa: E402

import arrayapi_autograd as ag  # noqa: E402
import arrayapi_autograd.dask as dx  # noqa: E402
import arrayapi_autograd.numpy as nx  # noqa: E402


class _TaskCounter(Callback):
    """Counts the Dask tasks executed (local schedulers) while active."""

    def __init__(self):
        super().__init__()
        self.tasks = 0

    def _pretask(self, key, dsk, state):
        self.tasks += 1


def _loss(xp, x):
    """A chunk-friendly scalar function: elementwise, slicing, reductions, a product."""
    y = xp.tanh(x) ** 2 * xp.exp(-x * x) + xp.sin(3.0 * x)
    return xp.sum(y) + xp.mean(x[::2] * x[1::2]) + xp.max(xp.abs(x)) * 0.5


def _grad_both(f, values: np.ndarray, chunks):
    """``grad(f)`` over Dask (lazy) and over NumPy, for the same values."""
    lazy = ag.grad(lambda a: f(dx, a))(dx.asarray(da.from_array(values, chunks=chunks)))
    eager = ag.grad(lambda a: f(nx, a))(nx.asarray(values))
    return lazy, eager


def test_ready_module_is_the_namespace():
    assert dx is ag.namespace("dask")
    assert isinstance(dx.asarray([1.0])._data, da.Array)


def test_nothing_is_computed_before_compute():
    values = np.random.default_rng(0).standard_normal(20_000)
    counter = _TaskCounter()
    with counter:
        x = dx.asarray(da.from_array(values, chunks=2_000))
        x.requires_grad_()
        loss = _loss(dx, x)
        text = repr(loss) + repr(x)
        loss.backward()
        gradient = x.grad
        text += repr(gradient)
        transformed = ag.grad(lambda a: _loss(dx, a))(x.detach())
        hessian_vector = ag.hvp(lambda a: _loss(dx, a), (x.detach(),), (dx.ones_like(x),))[1]
        _, tangent = ag.jvp(lambda a: _loss(dx, a), (x.detach(),), (dx.ones_like(x),))
        assert gradient.shape == x.shape and gradient.dtype == x.dtype
        assert counter.tasks == 0, f"{counter.tasks} tasks ran before compute()"
        assert "dask.array" in text
        result = gradient.compute()
        assert counter.tasks > 0
    assert isinstance(result, np.ndarray)
    expected = ag.grad(lambda a: _loss(nx, a))(nx.asarray(values))
    np.testing.assert_allclose(result, expected.compute(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(transformed.compute(), expected.compute(), rtol=1e-12, atol=1e-12)
    hvp_np = ag.hvp(lambda a: _loss(nx, a), (nx.asarray(values),), (nx.ones(values.shape),))[1]
    np.testing.assert_allclose(hessian_vector[0].compute(), hvp_np[0].compute(),
                               rtol=1e-10, atol=1e-10)
    jvp_np = ag.jvp(lambda a: _loss(nx, a), (nx.asarray(values),), (nx.ones(values.shape),))[1]
    np.testing.assert_allclose(tangent.compute(), jvp_np.compute(), rtol=1e-10)


def test_conversions_compute_by_necessity():
    x = dx.asarray(da.from_array(np.array([1.0, -2.0, 3.0]), chunks=2))
    counter = _TaskCounter()
    with counter:
        assert float(dx.sum(x)) == 2.0
    assert counter.tasks > 0
    assert bool(dx.all(x != 0.0))
    assert int(dx.sum(dx.astype(x > 0, dx.int64))) == 2


@pytest.mark.parametrize("case", ["matmul", "linalg", "fft", "statistics", "setitem"])
def test_gradients_match_numpy(case):
    rng = np.random.default_rng(1)
    values = rng.standard_normal((6, 6)) + 6 * np.eye(6)

    def f(xp, a):
        if case == "matmul":
            return xp.sum((a @ a.mT) ** 2) + xp.vecdot(a[0], a[-1])
        if case == "linalg":
            return xp.sum(xp.linalg.inv(a)) + xp.sum(xp.linalg.solve(a, a[:, :2] ** 2))
        if case == "fft":
            # Dask transforms along an axis of one chunk (chunks=(3, 6) below)
            return xp.sum(xp.abs(xp.fft.fft(a, axis=1)) ** 2 * a)
        if case == "statistics":
            return xp.sum(xp.std(a, axis=0)) + xp.sum(xp.cumulative_sum(a, axis=1) ** 2)
        b = a * 1.0
        b[0, :] = xp.sin(a[1, :])
        b += a
        return xp.sum(b ** 2)

    lazy, eager = _grad_both(f, values, chunks=(3, 6) if case == "fft" else 3)
    assert isinstance(lazy._data, da.Array)
    np.testing.assert_allclose(lazy.compute(), eager.compute(), rtol=1e-10, atol=1e-12)


def test_second_order():
    values = np.linspace(-1.0, 1.0, 8)
    lazy = ag.hessian(lambda a: dx.sum(dx.sin(a) ** 3))(dx.asarray(values))
    eager = ag.hessian(lambda a: nx.sum(nx.sin(a) ** 3))(nx.asarray(values))
    np.testing.assert_allclose(lazy.compute(), eager.compute(), rtol=1e-12, atol=1e-12)


def test_data_dependent_shapes_are_unknown_as_in_dask():
    values = np.array([1.0, -2.0, 3.0, -4.0, 5.0])
    x = dx.asarray(da.from_array(values, chunks=2))
    masked = x[x > 0]
    assert np.isnan(masked.shape[0]) and masked.size is None
    np.testing.assert_array_equal(masked.compute(), values[values > 0])
    np.testing.assert_array_equal(dx.unique_values(x).compute(), np.unique(values))
    # the lazy way to differentiate through a mask keeps the shape: where()
    gradient = ag.grad(lambda a: dx.sum(dx.where(a > 0, a ** 2, 0.0)))(x)
    np.testing.assert_array_equal(gradient.compute(), np.where(values > 0, 2 * values, 0.0))
    # an elementwise op of an unknown-size array: shapes (nan,) and (nan,) match
    y = x * 1.0
    y.requires_grad_()
    z = dx.exp(y[y > 0])
    assert np.isnan(z.shape[0])
    np.testing.assert_allclose(z.compute(), np.exp(values[values > 0]))


def test_gradient_on_a_local_cluster():
    """A gradient of a chunked 10^6-element computation, computed by a LocalCluster."""
    distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed")
    n = 1_000_000
    values = np.random.default_rng(2).standard_normal(n)
    # In-process worker: a memory limit would watch the whole pytest process (JAX,
    # PyTorch...) and pause the worker forever; the data are 8 MB in 1 MB chunks.
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None, memory_limit=0) as cluster, \
            distributed.Client(cluster) as client:
        x = dx.asarray(da.from_array(values, chunks=n // 8))
        value, gradient = ag.value_and_grad(lambda a: _loss(dx, a))(x)
        assert isinstance(gradient._data, da.Array)
        computed_value, computed = client.compute([value._data, gradient._data], sync=True)
    expected_value, expected = ag.value_and_grad(lambda a: _loss(nx, a))(nx.asarray(values))
    np.testing.assert_allclose(computed_value, expected_value.compute(), rtol=1e-10)
    np.testing.assert_allclose(computed, expected.compute(), rtol=1e-10, atol=1e-12)


def test_persist_keeps_the_place_on_the_tape():
    """``persist`` computes the data and keeps node, index, version and tangents."""
    values = np.linspace(-1.0, 1.5, 12)
    x = dx.asarray(da.from_array(values, chunks=4))
    x.requires_grad_()
    h = dx.sin(x) * 2.0
    counter = _TaskCounter()
    with counter:
        p = h.persist()
    assert counter.tasks > 0
    assert p is not h and p._node is h._node and p._index == h._index
    assert p._version is h._version and p._tangents is h._tangents
    # the persisted data is a graph of its chunks only
    assert len(p._data.__dask_graph__()) == 3 < len(h._data.__dask_graph__())
    dx.sum(p ** 2).backward()
    np.testing.assert_allclose(x.grad.compute(), 8.0 * np.sin(values) * np.cos(values),
                               rtol=1e-14)
    # a leaf stays the same variable: its gradient is the one of the original
    (y, other) = dx.persist(x, 3.0)
    assert other == 3.0 and y._node is x._node and y.is_leaf and y.requires_grad
    x.grad = None
    dx.sum(y * y).backward()
    np.testing.assert_allclose(y.grad.compute(), 2.0 * values, rtol=1e-15)
    assert x.grad is y.grad
    # forward-mode tangents travel with the persisted array
    _, t = ag.jvp(lambda a: dx.sum(dx.sin(a).persist() ** 2), (dx.asarray(values),),
                  (dx.ones(12, dtype=dx.float64),))
    np.testing.assert_allclose(t.compute(), np.sum(np.sin(2.0 * values)), rtol=1e-14)
    # and a gradient of a function that persists its intermediate equals NumPy's
    lazy, eager = _grad_both(lambda xp, a: xp.sum(xp.exp(a).persist() * a)
                             if xp is dx else xp.sum(xp.exp(a) * a), values, chunks=4)
    np.testing.assert_allclose(lazy.compute(), eager.compute(), rtol=1e-14)


def test_persist_on_eager_backends_and_errors():
    x = nx.asarray([1.0, 2.0])
    assert x.persist() is x
    assert not hasattr(nx, "persist")
    with pytest.raises(TypeError, match="numpy"):
        dx.persist(dx.asarray([1.0]), x)


def _sgd(xp, features, targets, steps, persist):
    """Linear regression by gradient descent; the parameters' graph sizes, step by step."""
    w = xp.zeros(features.shape[1], dtype=xp.float64)
    b = xp.asarray(0.0, dtype=xp.float64)
    w.attach_grad()
    b.attach_grad()
    sizes = []
    for _ in range(steps):
        loss = xp.mean((features @ w + b - targets) ** 2)
        loss.backward()
        with ag.no_grad():
            w -= 0.1 * w.grad
            b -= 0.1 * b.grad
        if persist:
            w, b = xp.persist(w, b)
        if xp is dx:
            sizes.append(len(w._data.__dask_graph__()) + len(b._data.__dask_graph__()))
    return w, b, sizes


def test_a_training_loop_with_persist_keeps_its_graph_bounded():
    """50 steps of SGD on Dask: with ``persist`` the parameters' task graphs keep their
    size (without, they grow with every step), and the result is NumPy's."""
    rng = np.random.default_rng(3)
    features = rng.standard_normal((400, 3))
    targets = features @ np.array([1.0, -2.0, 0.5]) + 0.3 + 0.01 * rng.standard_normal(400)
    lazy = (dx.asarray(da.from_array(features, chunks=(100, 3))),
            dx.asarray(da.from_array(targets, chunks=100)))
    w, b, sizes = _sgd(dx, *lazy, steps=50, persist=True)
    assert max(sizes) == min(sizes) == 2, sizes
    w_np, b_np, _ = _sgd(nx, nx.asarray(features), nx.asarray(targets), steps=50, persist=False)
    np.testing.assert_allclose(w.compute(), w_np.compute(), rtol=1e-12)
    np.testing.assert_allclose(b.compute(), b_np.compute(), rtol=1e-12)
    _, _, growing = _sgd(dx, *lazy, steps=10, persist=False)
    assert growing[-1] > growing[0] + 9 * 30, growing


def test_gather_gradients_keep_nonfinite_cotangents_in_place_lazily():
    """The scatter-add of take's backward, chunk by chunk (ops/_scatter.py):
    repeats add up, a NaN or infinite cotangent spoils only its own target, nothing is
    computed before compute(), and the result equals NumPy's."""
    rng = np.random.default_rng(3)
    values = rng.standard_normal(40)
    indices = rng.integers(-40, 40, 60)
    head = rng.standard_normal(60)
    head[[3, 17]] = np.nan
    head[[5, 40]] = [np.inf, -np.inf]
    results = {}
    counter = _TaskCounter()
    for xp in (dx, nx):
        def chunked(a, chunks):
            return xp.asarray(da.from_array(a, chunks=chunks) if xp is dx else a)

        with counter:
            x = chunked(values, 7)
            x.requires_grad_()
            y = xp.take(x, chunked(indices, 11), axis=0)
            loss = xp.sum(y * chunked(head, 11))
            loss.backward()
            if xp is dx:
                assert counter.tasks == 0, f"{counter.tasks} tasks ran before compute()"
                assert len(x.grad._data.chunks[0]) > 1
        results[xp] = x.grad.compute()
    expected = np.zeros(40)
    np.add.at(expected, indices % 40, head)
    np.testing.assert_array_equal(np.isnan(results[dx]), np.isnan(expected))
    assert 0 < np.count_nonzero(np.isnan(expected)) < 40
    np.testing.assert_allclose(results[dx], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(results[nx], expected, rtol=1e-12, atol=1e-12)


def test_take_gradient_on_a_local_cluster_chunk_by_chunk():
    """A take gradient (2 * 10^5 elements, repeated indices) on a LocalCluster: no task
    holds more than a chunk's worth (benchmarks/dask_take_gradient.py measures the same
    at 10^7 elements, where the one-hot product asked for 800 TB)."""
    pytest.importorskip("distributed", reason="dask.distributed is not installed")
    from benchmarks.dask_take_gradient import run

    result = run(200_000, chunks=8)
    assert result["max_abs_error"] < 1e-10
    assert result["chunks"] > 1
    # positions and values of one chunk (2 x 25,000 x 8 bytes), never the whole array
    assert result["largest_result_bytes"] <= result["array_bytes"] / 4, result


def test_scatter_add_of_blocks_with_unknown_sizes():
    """After a boolean mask, positions and values have sizes unknown until computed, in
    blocks that need not line up: they are reduced together, still lazily."""
    from arrayapi_autograd.ops._scatter import scatter_add

    rng = np.random.default_rng(4)
    keep = rng.random(30) > 0.4
    positions = rng.integers(0, 12, 30)
    values = rng.standard_normal(30)
    values[2] = np.nan
    lazy_positions = da.from_array(positions, chunks=7)[da.from_array(keep, chunks=7)]
    lazy_values = da.from_array(values, chunks=30)[da.from_array(keep, chunks=30)]
    assert np.isnan(lazy_positions.chunks[0][0])
    total = scatter_add(dx._xp, lazy_positions, lazy_values, 12)
    expected = np.zeros(12)
    np.add.at(expected, positions[keep], values[keep])
    np.testing.assert_allclose(total.compute(), expected, rtol=1e-12, atol=1e-12)

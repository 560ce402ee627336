"""Function transforms against ``torch.func``: grad, vjp, jvp, jacrev, jacfwd, hessian.

Each test function is written once against the array API, taking its
namespace from its arguments (``array_api_compat.array_namespace``): it runs on
our wrapped arrays of every backend and, unchanged, on raw torch tensors
under ``torch.func`` (through ``array_api_compat.torch``), which is the
reference.  Samples are small fixed float64 arrays; pytrees (dicts, tuples)
appear as inputs and outputs.
"""

from __future__ import annotations

import math

import array_api_compat
import numpy as np
import pytest
import torch
import torch.func

import arrayapi_autograd as ag
from arrayapi_autograd import autograd
from arrayapi_autograd._transforms import flatten, tree_map
from oracle import BACKENDS, to_numpy

RTOL, ATOL = 1e-9, 1e-11


def _xp(*args):
    return array_api_compat.array_namespace(*flatten(args)[0])


# ---------------------------------------------------------------------------
# the functions, written once against the array API
# ---------------------------------------------------------------------------

def rosenbrock(x):
    xp = _xp(x)
    return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def softmax_cross_entropy(logits, onehot):
    xp = _xp(logits)
    z = logits - xp.max(logits, axis=-1, keepdims=True)
    logp = z - xp.log(xp.sum(xp.exp(z), axis=-1, keepdims=True))
    return -xp.mean(xp.sum(onehot * logp, axis=-1))


def mlp_loss(params, x, y):
    xp = _xp(params)
    h = xp.tanh(x @ params["W1"] + params["b1"])
    out = h @ params["W2"] + params["b2"]
    return xp.mean((out - y) ** 2)


def logdet(a):
    xp = _xp(a)
    n = a.shape[-1]
    spd = a @ xp.matrix_transpose(a) + xp.eye(n, dtype=a.dtype)
    sign, logabsdet = xp.linalg.slogdet(spd)
    return logabsdet


def control_flow(x):
    xp = _xp(x)
    if bool(xp.sum(x) > 0):
        y = xp.sin(x) * x
    else:
        y = x ** 2
    for _ in range(3):
        y = y * xp.cos(y)
    return xp.sum(y)


def pytree_in(tree):
    xp = _xp(tree)
    a, (b, c) = tree["a"], tree["bc"]
    return xp.sum(a * b) + xp.sum(xp.exp(c) * a[0])


def pytree_out(x, y):
    xp = _xp(x)
    return {"pair": (xp.sin(x), xp.sum(y ** 3)), "prod": x * y}


def logsumexp(x):
    xp = _xp(x)
    m = xp.max(x)
    return m + xp.log(xp.sum(xp.exp(x - m)))


def quadratic_form(x, a):
    return x @ (a @ x)


def norm_ratio(x):
    xp = _xp(x)
    return xp.linalg.vector_norm(x) / xp.sum(xp.sqrt(x * x + 1.0))


def piecewise(x):
    xp = _xp(x)
    return xp.sum(xp.where(x > 0, x ** 2, -0.5 * x) + xp.maximum(x, 0.1 * x))


def trig_mix(x, y):
    xp = _xp(x)
    return xp.sum(xp.atan2(x, y) * xp.tanh(x * y) + xp.log1p(x * x))


def elementwise_vector(x):
    xp = _xp(x)
    return xp.exp(-x) * xp.sin(3.0 * x) + x ** 3


def matrix_function(a, b):
    xp = _xp(a)
    return xp.tanh(a @ b) + xp.matrix_transpose(a) * 0.5


def mean_exp(x):
    xp = _xp(x)
    return xp.mean(x * xp.exp(-x * x))


def complex_energy(z):
    xp = _xp(z)
    return xp.sum(xp.abs(z * z + 1.0) ** 2)


def complex_vector(z):
    xp = _xp(z)
    return xp.exp(z) * z + xp.sin(z)


rng = np.random.default_rng(0)
_A = rng.normal(size=(3, 3))


def _sample(*shape, low=-1.0, high=1.0):
    return rng.uniform(low, high, shape)


# (function, args as NumPy master values, argnums, scalar output?)
CASES = {
    "rosenbrock": (rosenbrock, (_sample(4),), 0, True),
    "softmax_xent": (softmax_cross_entropy,
                     (_sample(2, 3), np.eye(3)[[0, 2]]), 0, True),
    "mlp_loss": (mlp_loss, ({"W1": _sample(3, 4), "b1": _sample(4), "W2": _sample(4, 2),
                             "b2": _sample(2)}, _sample(2, 3), _sample(2, 2)), 0, True),
    "logdet": (logdet, (_sample(3, 3),), 0, True),
    "control_flow_pos": (control_flow, (_sample(3, low=0.1),), 0, True),
    "control_flow_neg": (control_flow, (_sample(3, high=-0.1),), 0, True),
    "pytree_in": (pytree_in, ({"a": _sample(3), "bc": (_sample(3), _sample(2))},), 0, True),
    "pytree_out": (pytree_out, (_sample(3), _sample(3)), (0, 1), False),
    "logsumexp": (logsumexp, (_sample(5),), 0, True),
    "quadratic_form": (quadratic_form, (_sample(3), _A), (0, 1), True),
    "norm_ratio": (norm_ratio, (_sample(4),), 0, True),
    "piecewise": (piecewise, (np.array([-0.7, -0.2, 0.3, 0.9]),), 0, True),
    "trig_mix": (trig_mix, (_sample(3), _sample(3, low=0.5, high=2.0)), (0, 1), True),
    "elementwise_vector": (elementwise_vector, (_sample(4),), 0, False),
    "matrix_function": (matrix_function, (_sample(2, 2), _sample(2, 2)), (0, 1), False),
    "mean_exp": (mean_exp, (_sample(2, 3),), 0, True),
}
SCALAR = [name for name, case in CASES.items() if case[3]]


def _ours(ns, value):
    return tree_map(lambda v: ns.asarray(v) if isinstance(v, np.ndarray) else v, value)


def _torch(value):
    return tree_map(lambda v: torch.asarray(v) if isinstance(v, np.ndarray) else v, value)


def assert_trees_close(ours, reference, rtol=RTOL, atol=ATOL):
    a_leaves, a_def = flatten(ours)
    b_leaves, b_def = flatten(reference)
    assert a_def == b_def, (a_def, b_def)
    for a, b in zip(a_leaves, b_leaves):
        a, b = to_numpy(a), to_numpy(b)
        assert a.shape == b.shape, (a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def _like_outputs(reference_out, seed):
    """Random NumPy values with the structure and shapes of a torch output."""
    r = np.random.default_rng(seed)
    return tree_map(lambda t: r.normal(size=tuple(t.shape)), reference_out)


def _tangents(args, seed):
    r = np.random.default_rng(seed)
    return tree_map(lambda v: r.normal(size=v.shape) if isinstance(v, np.ndarray) else v, args)


@pytest.fixture(params=BACKENDS)
def ns(request):
    return ag.namespace(request.param)


def _skip_unavailable(name, ns):
    if name == "logdet" and not hasattr(getattr(ns, "linalg", None), "slogdet"):
        pytest.skip("linalg.slogdet is not bound on this namespace yet")


# ---------------------------------------------------------------------------
# the transforms against torch.func
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("name", SCALAR)
def test_grad(name, ns):
    _skip_unavailable(name, ns)
    fn, args, argnums, _ = CASES[name]
    expected = torch.func.grad(fn, argnums)(*_torch(args))
    assert_trees_close(ag.grad(fn, argnums)(*_ours(ns, args)), expected)


@pytest.mark.parametrize("name", SCALAR)
def test_value_and_grad(name, ns):
    _skip_unavailable(name, ns)
    fn, args, argnums, _ = CASES[name]
    value, gradient = ag.value_and_grad(fn, argnums)(*_ours(ns, args))
    ref_value, ref_grad = torch.func.grad_and_value(fn, argnums)(*_torch(args))[::-1]
    assert not value.requires_grad
    assert_trees_close((value, gradient), (ref_value, ref_grad))


@pytest.mark.parametrize("name", list(CASES))
def test_vjp(name, ns):
    _skip_unavailable(name, ns)
    fn, args, _, _ = CASES[name]
    ref_out, ref_vjp_fn = torch.func.vjp(fn, *_torch(args))
    out, vjp_fn = ag.vjp(fn, *_ours(ns, args))
    assert_trees_close(out, ref_out)
    for seed in (1, 2):  # vjp_fn is reusable
        ct = _like_outputs(ref_out, seed)
        assert_trees_close(vjp_fn(_ours(ns, ct)), ref_vjp_fn(_torch(ct)))


@pytest.mark.parametrize("name", list(CASES))
def test_jvp(name, ns):
    _skip_unavailable(name, ns)
    fn, args, _, _ = CASES[name]
    # only the float arguments carry tangents; one-hot labels etc. stay, tangents of zero
    tangents = _tangents(args, 3)
    out, t_out = ag.jvp(fn, _ours(ns, args), _ours(ns, tangents))
    ref_out, ref_t = torch.func.jvp(fn, _torch(args), _torch(tangents))
    assert_trees_close((out, t_out), (ref_out, ref_t))


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("name", list(CASES))
def test_jacobian(name, mode, ns):
    _skip_unavailable(name, ns)
    fn, args, argnums, _ = CASES[name]
    reference = (torch.func.jacrev if mode == "rev" else torch.func.jacfwd)(fn, argnums)
    jac = ag.jacobian(fn, argnums, mode=mode)(*_ours(ns, args))
    assert_trees_close(jac, reference(*_torch(args)), rtol=1e-8, atol=1e-10)


class _Counting:
    """``fn`` wrapped to count its calls."""

    def __init__(self, fn):
        self.fn = fn
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self.fn(*args, **kwargs)


def _count_passes(transform, fn, args, monkeypatch):
    """``transform(fn)(*args)``, the calls of ``fn``, the backward passes; asserts that
    no op looped over a batch."""
    from arrayapi_autograd import _batching, _tape

    counted = _Counting(fn)
    sweeps = _Counting(_tape.backward)
    monkeypatch.setattr(_tape, "backward", sweeps)
    looped = dict(_batching.fallbacks)
    result = transform(counted)(*args)
    assert dict(_batching.fallbacks) == looped
    return result, counted.calls, sweeps.calls


def _n_leaves(args, argnums):
    numbers = (argnums,) if isinstance(argnums, int) else argnums
    return sum(isinstance(leaf, np.ndarray) for i in numbers for leaf in flatten(args[i])[0])


@pytest.mark.parametrize("mode", ["rev", "fwd"])
@pytest.mark.parametrize("name", list(CASES))
def test_jacobian_takes_one_batched_pass(name, mode, ns, monkeypatch):
    """No per-row loop.  ``jacrev`` records ``f`` once and runs one
    backward per output leaf (all rows of the identity at once); ``jacfwd`` runs ``f``
    once per input leaf (all basis tangents at once); no op loops over the batch."""
    _skip_unavailable(name, ns)
    fn, args, argnums, _ = CASES[name]
    _, calls, sweeps = _count_passes(lambda f: ag.jacobian(f, argnums, mode=mode), fn,
                                     _ours(ns, args), monkeypatch)
    n_out = len(flatten(fn(*_torch(args)))[0])
    if mode == "rev":
        assert (calls, sweeps) == (1, n_out)
    else:
        assert (calls, sweeps) == (_n_leaves(args, argnums), 0)


@pytest.mark.parametrize("name", ["rosenbrock", "softmax_xent", "mlp_loss", "logdet",
                                  "pytree_in", "trig_mix"])
def test_hessian_takes_one_batched_pass_per_input(name, ns, monkeypatch):
    """Forward-over-reverse with stacked tangents: per input leaf, one recording of ``f``
    and one backward carrying every basis tangent, nothing looped."""
    _skip_unavailable(name, ns)
    fn, args, argnums, _ = CASES[name]
    hessian, calls, sweeps = _count_passes(lambda f: ag.hessian(f, argnums), fn,
                                           _ours(ns, args), monkeypatch)
    leaves = _n_leaves(args, argnums)
    assert (calls, sweeps) == (leaves, leaves)
    assert_trees_close(hessian, torch.func.hessian(fn, argnums)(*_torch(args)), rtol=1e-8,
                       atol=1e-10)


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_chunk_size(mode, ns, monkeypatch):
    """``chunk_size`` bounds the basis vectors per pass (torch.func's option): the same
    Jacobian in ceil(5 / chunk) passes."""
    from arrayapi_autograd import _tape

    fn, args, argnums, _ = CASES["elementwise_vector"]
    x = np.concatenate([args[0], [0.25]])  # 5 inputs, 5 outputs
    expected = to_numpy(torch.func.jacrev(fn)(torch.asarray(x)))
    for chunk, passes in ((None, 1), (1, 5), (2, 3), (5, 1), (7, 1)):
        counted = _Counting(fn)
        sweeps = _Counting(_tape.backward)
        monkeypatch.setattr(_tape, "backward", sweeps)
        jac = ag.jacobian(counted, mode=mode, chunk_size=chunk)(ns.asarray(x))
        np.testing.assert_allclose(to_numpy(jac), expected, rtol=1e-12, atol=1e-14)
        assert (sweeps.calls if mode == "rev" else counted.calls) == passes
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="chunk_size must be None"):
            ag.jacobian(fn, mode=mode, chunk_size=bad)


def test_jacobian_of_a_rule_reading_its_cotangent_goes_row_by_row(ns):
    """A user rule that asks for the value of its cotangent (float(), if) cannot be
    batched: the Jacobian falls back to one pass per row and is still right."""
    xp = ns

    @ag.custom_vjp
    def scaled_sin(x):
        return xp.sin(x)

    def fwd(x):
        return xp.sin(x), x

    def bwd(x, ct):
        # a data-dependent branch on the cotangent's values
        scale = 1.0 if float(xp.max(xp.abs(ct))) < 10.0 else 0.0
        return (ct * xp.cos(x) * scale,)

    scaled_sin.defvjp(fwd, bwd)
    x = np.array([0.1, -0.7, 1.3])
    expected = np.diag(2.0 * np.cos(x))
    for mode in ("rev", "fwd"):
        jac = ag.jacobian(lambda v: 2.0 * scaled_sin(v), mode=mode)(ns.asarray(x))
        np.testing.assert_allclose(to_numpy(jac), expected, rtol=1e-12)
    np.testing.assert_allclose(
        to_numpy(ag.hessian(lambda v: xp.sum(scaled_sin(v) ** 2))(ns.asarray(x))),
        np.diag(2.0 * np.cos(2.0 * x)), rtol=1e-12)


def test_batched_value_question_names_the_fix(ns):
    from arrayapi_autograd._batching import BatchedArray
    from arrayapi_autograd._batching import new_level

    stacked = BatchedArray(ns.reshape(ns.eye(3), (3, 3)), new_level())
    assert stacked.shape == (3,)
    with pytest.raises(TypeError, match="one row at a time"):
        bool(stacked[0] > 0)
    with pytest.raises(TypeError, match="written into an array that holds a single row"):
        plain = ns.zeros(3)
        plain[...] = stacked


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_shapes_edge_cases(mode, ns):
    """0-d inputs and outputs, an empty output, an output independent of the input."""
    jac = ag.jacobian
    x = ns.asarray(np.array([0.5, -1.0, 2.0]))
    s = ns.asarray(1.5)
    np.testing.assert_allclose(to_numpy(jac(lambda v: ns.sum(v ** 2), mode=mode)(x)),
                               2.0 * to_numpy(x))
    np.testing.assert_allclose(to_numpy(jac(lambda v: v * ns.asarray([1.0, 2.0]),
                                            mode=mode)(s)), [1.0, 2.0])
    np.testing.assert_allclose(to_numpy(jac(lambda v: v ** 3, mode=mode)(s)), 3 * 1.5 ** 2)
    empty = jac(lambda v: v[:0] * 2.0, mode=mode)(x)
    assert tuple(empty.shape) == (0, 3)
    constant = jac(lambda v: ns.ones((2,)), mode=mode)(x)
    np.testing.assert_array_equal(to_numpy(constant), np.zeros((2, 3)))


@pytest.mark.parametrize("name", ["rosenbrock", "softmax_xent", "mlp_loss", "logdet",
                                  "control_flow_pos", "pytree_in", "quadratic_form",
                                  "trig_mix", "mean_exp"])
def test_hessian(name, ns):
    _skip_unavailable(name, ns)
    fn, args, argnums, _ = CASES[name]
    expected = torch.func.hessian(fn, argnums)(*_torch(args))
    assert_trees_close(ag.hessian(fn, argnums)(*_ours(ns, args)), expected, rtol=1e-8,
                       atol=1e-10)


def test_hvp_matches_hessian_product(ns):
    x = np.array([0.3, -0.4, 0.8, 1.1])
    v = np.array([1.0, -2.0, 0.5, 0.25])
    value, (product,) = ag.hvp(rosenbrock, (ns.asarray(x),), (ns.asarray(v),))
    ref_value, ref_product = torch.autograd.functional.hvp(rosenbrock, torch.asarray(x),
                                                           torch.asarray(v))
    assert_trees_close((value, product), (ref_value, ref_product))


# ---------------------------------------------------------------------------
# arguments, errors, structure
# ---------------------------------------------------------------------------

def test_argnums_tuple_and_scalars(ns):
    f = lambda x, s, y: xp_sum(x * s * y)  # noqa: E731

    def xp_sum(a):
        return _xp(a).sum(a)

    x = ns.asarray([1.0, 2.0], dtype=ns.float64)
    gx, gs = ag.grad(f, argnums=(0, 1))(x, 3.0, x)
    np.testing.assert_allclose(to_numpy(gx), [3.0, 6.0])
    assert gs.shape == () and float(gs) == 5.0
    with pytest.raises(ValueError, match="argnums"):
        ag.grad(f, argnums=3)(x, 3.0, x)


def test_has_aux(ns):
    def f(x):
        y = ns.sin(x)
        return ns.sum(y), {"y": y}

    x = ns.asarray([0.5, 1.0], dtype=ns.float64)
    g, aux = ag.grad(f, has_aux=True)(x)
    np.testing.assert_allclose(to_numpy(g), np.cos([0.5, 1.0]))
    np.testing.assert_allclose(to_numpy(aux["y"]), np.sin([0.5, 1.0]))
    assert not aux["y"].requires_grad
    (value, aux2), g2 = ag.value_and_grad(f, has_aux=True)(x)
    np.testing.assert_allclose(float(value), np.sin([0.5, 1.0]).sum())
    out, vjp_fn, aux3 = ag.vjp(f, x, has_aux=True)
    np.testing.assert_allclose(to_numpy(vjp_fn(ns.asarray(2.0, dtype=ns.float64))[0]), 2 * np.cos([0.5, 1.0]))


def test_grad_errors(ns):
    x = ns.asarray([1.0, 2.0], dtype=ns.float64)
    with pytest.raises(ValueError, match="0-d"):
        ag.grad(lambda x: x * 2)(x)
    with pytest.raises(TypeError, match="real-valued"):
        ag.grad(lambda x: ns.sum(ns.astype(x, ns.complex128)))(x)
    with pytest.raises(TypeError, match="0-d real"):
        ag.grad(lambda x: "nope")(x)
    with pytest.raises(TypeError, match="no array"):
        ag.grad(lambda a: a * a)(2.0)
    with pytest.raises(TypeError, match="floating-point"):
        ag.grad(lambda a: ns.sum(a))(ns.asarray([1, 2]))
    with pytest.raises(ValueError, match="mode"):
        ag.jacobian(lambda a: a, mode="sideways")
    with pytest.raises(TypeError, match="pair"):
        ag.grad(lambda a: ns.sum(a), has_aux=True)(x)
    with pytest.raises(ValueError, match=r"argnums=1.0 does not fit"):
        ag.grad(lambda a: ns.sum(a), argnums=1.0)(x)
    with pytest.raises(RuntimeError, match="only floating-point .* results carry gradients"):
        ns.sum(ns.asarray([1, 2])).backward()


def test_transforms_accept_the_backends_own_arrays(ns):
    """A bare NumPy/torch/array-api-strict array is converted, as torch.func and JAX
    accept their own arrays: the namespace is the backend's."""
    raw = ns._xp.asarray([0.5, -1.0, 2.0])
    g = ag.grad(lambda a: ns.sum(a ** 3))(raw)
    assert isinstance(g, ag.Array)
    np.testing.assert_allclose(to_numpy(g), 3 * np.array([0.5, -1.0, 2.0]) ** 2)


def test_unused_input_and_constant_output(ns):
    x = ns.asarray([1.0, 2.0], dtype=ns.float64)
    gx, gy = ag.grad(lambda x, y: ns.sum(x * x), argnums=(0, 1))(x, ns.asarray(3.0, dtype=ns.float64))
    assert float(gy) == 0.0
    # a constant array output has a zero gradient; a Python scalar output raises (below)
    constant = ns.asarray(1.5, dtype=ns.float64)
    np.testing.assert_allclose(to_numpy(ag.grad(lambda x: constant)(x)), [0.0, 0.0])


def test_grad_rejects_repeated_argnums(ns):
    """A repeated argnum used to shadow the first input and return a zero gradient."""
    x = ns.asarray([1.0, 2.0], dtype=ns.float64)
    f = lambda a, b: ns.sum(a * b)  # noqa: E731
    for argnums in [(0, 0), (0, -2), (1, 0, 1)]:
        with pytest.raises(ValueError, match=r"must not contain duplicates.*List each argument once"):
            ag.value_and_grad(f, argnums=argnums)(x, x)
        with pytest.raises(ValueError, match="duplicates"):
            ag.grad(f, argnums=argnums)(x, 2.0)
        with pytest.raises(ValueError, match="duplicates"):
            ag.jacobian(f, argnums=argnums, mode="fwd")(x, x)
    with pytest.raises(ValueError, match="duplicates"):
        ag.value_and_grad(f, argnums=(0, 0))(1.0, x)


def test_grad_output_dtype_and_python_scalar_errors(ns):
    x = ns.asarray([1.0, 2.0], dtype=ns.float64)
    with pytest.raises(TypeError, match=r"0-d real floating-point.*dtype \S*int64"):
        ag.grad(lambda x: ns.astype(ns.sum(x), ns.int64))(x)
    with pytest.raises(TypeError, match=r"0-d real floating-point.*dtype \S*bool"):
        ag.grad(lambda x: ns.sum(x) > 0.0)(x)
    for constant in (3, 1.5, True, 2j):
        with pytest.raises(TypeError, match=r"Python scalar .*does not depend on the inputs.*"
                                            r"Return an array computed from the inputs"):
            ag.grad(lambda x: constant)(x)
    with pytest.raises(TypeError, match="Python scalar"):
        ag.value_and_grad(lambda x: 3)(x)


def test_python_scalar_arguments_need_an_array(ns):
    """As the grad docstring says: scalars are converted by the namespace of an array argument."""
    with pytest.raises(TypeError, match=r"xp\.asarray\(2\.0\)"):
        ag.grad(ns.tanh)(2.0)
    g = ag.grad(ns.tanh)(ns.asarray(2.0, dtype=ns.float64))
    np.testing.assert_allclose(float(g), 1 - math.tanh(2.0) ** 2)
    # a non-differentiated array argument fixes the namespace of the scalar
    g = ag.grad(lambda s, y: ns.sum(ns.tanh(s * y)))(2.0, ns.asarray(1.0, dtype=ns.float64))
    np.testing.assert_allclose(float(g), 1 - math.tanh(2.0) ** 2)


def test_user_grads_untouched_and_graph_kept(ns):
    x = ns.asarray([0.5, 1.5], dtype=ns.float64)
    x.requires_grad_()
    y = x * 2.0
    g = ag.grad(lambda z: ns.sum(z ** 3))(y)
    assert x.grad is None
    np.testing.assert_allclose(to_numpy(g), 3 * (2 * np.array([0.5, 1.5])) ** 2)
    # the outer graph was neither run nor freed: y.backward still works
    ns.sum(y * y).backward()
    np.testing.assert_allclose(to_numpy(x.grad), 8 * np.array([0.5, 1.5]))


def test_grad_of_intermediate_is_differentiable(ns):
    x = ns.asarray([0.5, 1.5], dtype=ns.float64)
    x.requires_grad_()
    y = x * 2.0
    g = ag.grad(lambda z: ns.sum(ns.sin(z) * z))(y)
    ns.sum(g).backward()
    yv = 2 * np.array([0.5, 1.5])
    np.testing.assert_allclose(to_numpy(x.grad), 2 * (2 * np.cos(yv) - yv * np.sin(yv)))
    # closures over arrays that require a gradient stay differentiable too
    w = ns.asarray(0.7, dtype=ns.float64)
    w.requires_grad_()
    gw = ag.grad(lambda z: ns.sum(w * z ** 2))(ns.asarray([1.0, 2.0], dtype=ns.float64))
    (dw,) = autograd.grad(ns.sum(gw), [w])
    np.testing.assert_allclose(float(dw), 2 * 3.0)


def test_nested_grad_third_derivative(ns):
    x = ns.asarray(0.7, dtype=ns.float64)
    d3 = ag.grad(ag.grad(ag.grad(ns.sin)))(x)
    np.testing.assert_allclose(float(d3), -math.cos(0.7))
    d4 = ag.grad(ag.grad(ag.grad(ag.grad(ns.sin))))(x)
    np.testing.assert_allclose(float(d4), math.sin(0.7))


def test_mixing_forward_and_reverse(ns):
    f = lambda x: ns.sum(ns.sin(x) * x ** 2)  # noqa: E731
    x = np.array([0.3, -0.8, 1.2])
    v = np.array([1.0, 0.5, -1.0])
    hess = torch.func.hessian(f_torch := (lambda t: torch.sum(torch.sin(t) * t ** 2)))(
        torch.asarray(x)).numpy()
    # forward-over-reverse
    _, hv = ag.jvp(ag.grad(f), (ns.asarray(x),), (ns.asarray(v),))
    np.testing.assert_allclose(to_numpy(hv), hess @ v, rtol=1e-10)
    # reverse-over-forward
    g = ag.grad(lambda a: ag.jvp(f, (a,), (ns.asarray(v),))[1])(ns.asarray(x))
    np.testing.assert_allclose(to_numpy(g), hess @ v, rtol=1e-10)
    # jvp of jvp: second directional derivative
    _, second = ag.jvp(lambda a: ag.jvp(f, (a,), (ns.asarray(v),))[1], (ns.asarray(x),),
                       (ns.asarray(v),))
    np.testing.assert_allclose(float(second), v @ hess @ v, rtol=1e-10)
    del f_torch


def test_jvp_scalar_and_structure(ns):
    out, t = ag.jvp(lambda a, b: {"s": a * b}, (ns.asarray(2.0, dtype=ns.float64), 3.0), (1.0, 0.5))
    assert float(out["s"]) == 6.0 and float(t["s"]) == 2.0 * 0.5 + 3.0
    with pytest.raises(ValueError, match="structure"):
        ag.jvp(lambda a: a, (ns.asarray(1.0, dtype=ns.float64),), (ns.asarray(1.0, dtype=ns.float64), ns.asarray(1.0, dtype=ns.float64)))
    with pytest.raises(ValueError, match="shape"):
        ag.jvp(lambda a: a, (ns.asarray([1.0, 2.0], dtype=ns.float64),), (ns.asarray([1.0], dtype=ns.float64),))


# ---------------------------------------------------------------------------
# complex numbers
# ---------------------------------------------------------------------------

Z = np.array([1.0 + 2.0j, -0.5 + 0.3j, 0.2 - 1.1j])


@pytest.mark.parametrize("fn", [complex_energy,
                                lambda z: _xp(z).sum(_xp(z).real(z * _xp(z).conj(z) * z))],
                         ids=["abs2", "real_cubic"])
def test_grad_complex_input_matches_pytorch(fn, ns):
    z = torch.asarray(Z).requires_grad_()
    (expected,) = torch.autograd.grad(fn(z), [z])
    np.testing.assert_allclose(to_numpy(ag.grad(fn)(ns.asarray(Z))), expected.numpy(),
                               rtol=1e-12)


def test_grad_abs_squared_is_two_z(ns):
    g = ag.grad(lambda z: ns.sum(ns.abs(z) ** 2))(ns.asarray(Z))
    np.testing.assert_allclose(to_numpy(g), 2 * Z)


def test_holomorphic(ns):
    z0 = ns.asarray(0.3 - 0.7j, dtype=ns.complex128)
    f = lambda z: z * ns.exp(z)  # noqa: E731
    d = ag.grad(f, holomorphic=True)(z0)
    zc = 0.3 - 0.7j
    np.testing.assert_allclose(complex(d), np.exp(zc) * (1 + zc), rtol=1e-12)
    # PyTorch's backward with cotangent 1 gives the conjugate of f'(z)
    zt = torch.tensor(zc, dtype=torch.complex128).requires_grad_()
    (torch_grad,) = torch.autograd.grad(zt * torch.exp(zt), [zt],
                                        grad_outputs=torch.ones((), dtype=torch.complex128))
    np.testing.assert_allclose(complex(d), np.conj(torch_grad.numpy()), rtol=1e-12)
    with pytest.raises(TypeError, match="holomorphic"):
        ag.grad(lambda x: x * 2.0, holomorphic=True)(ns.asarray(1.0, dtype=ns.float64))


def test_complex_vjp_and_jvp_match_torch(ns):
    ct = np.array([0.5 - 1.0j, 1.0 + 0.2j, -0.3 + 0.0j])
    ref_out, ref_fn = torch.func.vjp(complex_vector, torch.asarray(Z))
    out, fn = ag.vjp(complex_vector, ns.asarray(Z))
    assert_trees_close((out, fn(ns.asarray(ct))), (ref_out, ref_fn(torch.asarray(ct))))
    t = np.array([1.0 + 1.0j, -0.5j, 2.0 + 0.0j])
    assert_trees_close(ag.jvp(complex_vector, (ns.asarray(Z),), (ns.asarray(t),)),
                       torch.func.jvp(complex_vector, (torch.asarray(Z),), (torch.asarray(t),)))


# ---------------------------------------------------------------------------
# gradcheck
# ---------------------------------------------------------------------------

def test_gradcheck_passes(ns):
    args = tuple(ns.asarray(a) for a in (_sample(3), _sample(3, low=0.5, high=2.0)))
    assert ag.gradcheck(trig_mix, args) is True
    assert ag.gradcheck(matrix_function, (ns.asarray(_sample(2, 2)), ns.asarray(_sample(2, 2))))


def test_gradcheck_reports_a_wrong_rule(ns):
    @ag.custom_vjp
    def bad_square(x):
        return x * x

    bad_square.defvjp(lambda x: (x * x, x), lambda x, ct: (3.0 * x * ct,))
    with pytest.raises(ag.GradcheckError, match="reverse-mode.*input 0, output 0"):
        ag.gradcheck(bad_square, (ns.asarray([0.5, 1.0], dtype=ns.float64),), check_forward_ad=False)
    with pytest.raises(TypeError, match="float64"):
        ag.gradcheck(ns.sin, (ns.asarray([1.0], dtype=ns.float32),))


# ---------------------------------------------------------------------------
# found by a new user trying the batched Jacobians (each was a wrong number or a
# silent result)
# ---------------------------------------------------------------------------

def test_forward_over_reverse_through_a_custom_jvp(ns):
    """The head cotangent of the rule's transposition keeps its tangent: the Hessian of
    f(x)**2 with f(x) = x**2 by a custom rule is 12 x**2 in every mode."""
    @ag.custom_jvp
    def square(x):
        return x ** 2

    square.defjvp(lambda p, t: (square(p[0]), 2.0 * p[0] * t[0]))

    def quartic(x):
        return ns.sum(square(x) ** 2)

    x = ns.asarray(np.array([3.0, -0.5]))
    expected = np.diag(12.0 * np.array([3.0, -0.5]) ** 2)
    np.testing.assert_allclose(to_numpy(ag.hessian(quartic)(x)), expected)
    np.testing.assert_allclose(to_numpy(ag.jacfwd(ag.grad(quartic))(x)), expected)
    np.testing.assert_allclose(to_numpy(ag.jacrev(ag.grad(quartic))(x)), expected)
    _, hvp = ag.jvp(ag.grad(quartic), (x,), (ns.asarray(np.array([1.0, 0.0])),))
    np.testing.assert_allclose(to_numpy(hvp), expected[0])


def test_forward_mode_sees_a_write_through_a_view(ns):
    """``w = y[1:]; w[0] = ...`` changes ``y``'s tangent too, as its value (torch.func)."""
    def f(v):
        y = v * 1.0
        w = y[1:]
        w[0] = 10.0 * v[0]
        return y

    x = np.array([1.0, -2.0, 3.0])
    expected = to_numpy(torch.func.jacrev(f)(torch.asarray(x)))
    np.testing.assert_array_equal(expected, [[1, 0, 0], [10, 0, 0], [0, 0, 1]])
    for mode in ("rev", "fwd"):
        np.testing.assert_array_equal(to_numpy(ag.jacobian(f, mode=mode)(ns.asarray(x))),
                                      expected)
    _, t = ag.jvp(f, (ns.asarray(x),), (ns.asarray(np.array([1.0, 0.0, 0.0])),))
    np.testing.assert_array_equal(to_numpy(t), [1.0, 10.0, 0.0])


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_refuses_outputs_without_a_derivative(mode, ns):
    x = ns.asarray(np.array([1.0, 2.0]))
    jac = lambda f: ag.jacobian(f, mode=mode)(x)  # noqa: E731
    with pytest.raises(TypeError, match="the Python scalar 3.0"):
        jac(lambda v: float(ns.sum(v)))
    with pytest.raises(TypeError, match="object of type NoneType"):
        jac(lambda v: None)
    with pytest.raises(TypeError, match="dtype .*int64, which carries no derivative"):
        jac(lambda v: ns.astype(v, ns.int64))  # any spelling of the dtype
    z = ns.asarray(np.array([1.0 + 1.0j, 2.0]))
    if mode == "rev":
        with pytest.raises(TypeError, match="complex output"):
            jac(lambda v: ns.exp(1j * v))
    else:
        with pytest.raises(TypeError, match="complex input"):
            ag.jacfwd(lambda v: ns.real(v * v))(z)


def test_jacobian_of_rules_converting_their_cotangent(ns):
    """A user rule that converts its cotangent to NumPy, or moves it, still batches
    (to_device) or falls back to one row at a time (NumPy conversion)."""
    @ag.custom_vjp
    def through_numpy(x):
        return ns.sin(x)

    through_numpy.defvjp(lambda x: (ns.sin(x), x),
                         lambda x, ct: (ns.asarray(np.asarray(ct)) * ns.cos(x),))

    @ag.custom_vjp
    def moved(x):
        return ns.sin(x)

    moved.defvjp(lambda x: (ns.sin(x), x), lambda x, ct: (ct.to_device(x.device) * ns.cos(x),))
    x = np.array([1.0, -2.0, 3.0])
    for f in (through_numpy, moved):
        np.testing.assert_allclose(to_numpy(ag.jacrev(f)(ns.asarray(x))), np.diag(np.cos(x)))
    np.testing.assert_allclose(
        to_numpy(ag.jacrev(moved, chunk_size=np.int64(2))(ns.asarray(x))), np.diag(np.cos(x)))


def test_results_through_a_finished_inner_transform_are_free_of_history(ns):
    """An inner transform's own input is a constant once it returned: the outer result
    carries no history (it converts to NumPy) and the values are torch.func's."""
    x = np.array([0.3, 0.5])

    def inner_gradient(w, xp=ns):
        return ag.grad(lambda v: xp.sum(xp.sin(v * w)))(xp.asarray(x))

    jac = ag.jacrev(inner_gradient)(ns.asarray(x))
    assert not jac.requires_grad
    expected = torch.func.jacrev(
        lambda w: torch.func.grad(lambda v: torch.sum(torch.sin(v * w)))(torch.asarray(x)))(
        torch.asarray(x))
    np.testing.assert_allclose(np.asarray(jac), to_numpy(expected), rtol=1e-12)
    g = ag.grad(lambda w: ns.sum(inner_gradient(w)))(ns.asarray(x))
    assert not g.requires_grad
    np.testing.assert_allclose(np.asarray(g), to_numpy(expected).sum(axis=0), rtol=1e-12)


# array-api-strict refuses such keys altogether (an index array only with integers)
@pytest.mark.parametrize("backend", ["numpy", "torch"])
@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_batched_indexing_with_an_integer_apart_from_an_index_array(mode, backend):
    """``a[0, :, idx]``: with an index array, NumPy counts the integer as an advanced
    index too, and advanced indices apart put their axes first; the batched pass must
    agree with one row at a time (jacrev was once silently wrong here)."""
    a = np.arange(24.0).reshape(2, 3, 4) / 10.0

    def f(v):
        return v[0, :, ns.asarray([3, 0, 2])] ** 2 + v[1, :, ns.asarray([1, 1, 0])]

    ns = ag.namespace(backend)
    xp = ns._xp  # the backend itself: its own indexing rules (torch's differ from NumPy's)

    def f_numpy(v):
        v = xp.asarray(v)
        out = v[0, :, xp.asarray([3, 0, 2])] ** 2 + v[1, :, xp.asarray([1, 1, 0])]
        return to_numpy(out)

    # central differences, exact for this quadratic up to rounding
    eps = 1e-3
    expected = np.zeros(f_numpy(a).shape + a.shape)
    for index in np.ndindex(a.shape):
        step = np.zeros_like(a)
        step[index] = eps
        expected[(...,) + index] = (f_numpy(a + step) - f_numpy(a - step)) / (2 * eps)
    batched = ag.jacobian(f, mode=mode)(ns.asarray(a))
    rows = ag.jacobian(f, mode=mode, chunk_size=1)(ns.asarray(a))
    np.testing.assert_allclose(to_numpy(rows), expected, atol=1e-9)
    np.testing.assert_allclose(to_numpy(batched), expected, atol=1e-9)


def test_a_view_taken_before_an_augmented_assignment_is_stale(ns):
    """``y += 10`` on a recorded array gives it new values; a view taken before does not
    see them, so using it raises instead of differentiating the old values."""
    x = ns.asarray(np.array([1.0, 2.0, 3.0]))
    x.requires_grad_()
    y = x * 1.0
    v = y[1:]
    y += 10.0
    with pytest.raises(RuntimeError, match="used after the array it views was modified"):
        ns.sum(v * v).backward()
    w = y[1:]  # taken again: the new values, and gradients through them
    ns.sum(w * w).backward()
    np.testing.assert_allclose(to_numpy(x.grad), [0.0, 24.0, 26.0])


@pytest.mark.parametrize("mode", ["rev", "fwd"])
def test_jacobian_has_aux(mode, ns):
    """``has_aux=True``: ``f`` returns ``(output, aux)``, the transform ``(jacobian, aux)``
    with ``aux`` a plain value, as ``torch.func.jacrev``/``jacfwd``."""
    x = np.array([0.5, -1.0, 2.0])

    def f(v):
        xp = _xp(v)
        return xp.sin(v) * v, {"norm": xp.sum(v * v)}

    reference = (torch.func.jacrev if mode == "rev" else torch.func.jacfwd)(f, has_aux=True)
    ref_jac, ref_aux = reference(torch.asarray(x))
    jac, aux = ag.jacobian(f, mode=mode, has_aux=True)(ns.asarray(x))
    assert_trees_close((jac, aux), (ref_jac, ref_aux))
    assert not aux["norm"].requires_grad and not aux["norm"]._tangents
    with pytest.raises(TypeError, match="pair"):
        ag.jacobian(lambda v: v * 2.0, mode=mode, has_aux=True)(ns.asarray(x))

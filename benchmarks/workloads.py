"""The workloads: per-op overhead, an MLP step, large arrays, a Hessian, forward only
(a-e), and Jacobians in reverse and forward mode (f, g).

Each workload's function body is written once against the array API: it takes
the namespace ``xp`` as its first argument and uses only names that NumPy-like
namespaces (``autograd.numpy``, ``mygrad``) spell the same way.  Only the
hand-written NumPy floor (``numpy``) has its own forward and backpropagation
code, written the way a careful person would write it by hand.

=====  =============================================================  ===========================
key    what                                                           target (ours)
=====  =============================================================  ===========================
a      per-operation overhead: 200 elementwise ops on 16 float64,      <= 0.5x HIPS autograd,
       forward + backward, microseconds per op; and the recording      <= 1.0x PyTorch; forward
       forward alone                                                   <= 1.0x PyTorch's
b      one SGD training step of an MLP 784-512-512-10 (tanh, relu,     <= 1.05x the NumPy floor
       softmax cross-entropy), batch 256, float32
c      10 elementwise ops on 10^7 float64: backward time / forward     <= 1.0, and peak extra
       time, and peak extra memory in units of the input's size        memory <= 5x the input
d      Hessian of a scalar function of 50 variables                    <= torch.autograd.
                                                                       functional.hessian
                                                                       (vectorize=True)
e      forward only, nothing requires a gradient: 200 ops, our time    <= 2x bare NumPy,
       over the bare backend namespace's time per op                   <= 1.3x bare PyTorch
f      Jacobian, reverse mode, of ``tanh(W @ x) * (V @ x)``,           <= torch.func.jacrev
       R^200 -> R^20
g      Jacobian, forward mode, of the same map, R^20 -> R^200          <= torch.func.jacfwd
=====  =============================================================  ===========================

Workloads f and g also run ``ours-rows``: our own ``vjp`` (``jvp``) called once
per row in a Python loop, which is what ``jacrev`` (``jacfwd``) did before the
cotangents (tangents) were batched; the column "x row by row" is the gain.

Peak extra memory (workload c) is measured two ways and both are reported:
the growth of the process's resident set (``VmHWM`` after resetting it through
``/proc/self/clear_refs``, minus ``VmRSS`` before; the only method that sees
every library's allocator, PyTorch's included, so it is the one the target
compares), and, for NumPy-based libraries, ``tracemalloc``'s peak (NumPy
reports its data buffers to it; PyTorch does not).
"""

from __future__ import annotations

import gc
import time
import tracemalloc
from dataclasses import dataclass, field
from typing import Callable, ClassVar

import numpy as np

from ._libraries import Library, Unavailable

# ---------------------------------------------------------------------------
# Shared bodies, written against the array API
# ---------------------------------------------------------------------------


def chain(xp, x, n_ops: int):
    """``n_ops`` elementwise ops cycling sin, multiply by 0.9, tanh, add 0.1."""
    for i in range(n_ops):
        k = i % 4
        if k == 0:
            x = xp.sin(x)
        elif k == 1:
            x = x * 0.9
        elif k == 2:
            x = xp.tanh(x)
        else:
            x = x + 0.1
    return x


def chain_loss(xp, params, n_ops):
    return xp.sum(chain(xp, params[0], n_ops))


def mlp_loss(xp, params, x, y):
    """Mean softmax cross-entropy of a tanh/relu MLP; ``y`` is one-hot."""
    w1, b1, w2, b2, w3, b3 = params[0], params[1], params[2], params[3], params[4], params[5]
    h1 = xp.tanh(xp.matmul(x, w1) + b1)
    h2 = xp.maximum(xp.matmul(h1, w2) + b2, 0.0)
    logits = xp.matmul(h2, w3) + b3
    z = logits - xp.max(logits, axis=1, keepdims=True)
    logp = z - xp.log(xp.sum(xp.exp(z), axis=1, keepdims=True))
    return -xp.sum(logp * y) / x.shape[0]


def hessian_fun(xp, x, a):
    """``sum(softplus(a @ x)) + sum(x**4) / 4``: a dense, positive definite Hessian."""
    y = xp.matmul(a, x)
    return xp.sum(xp.log(1.0 + xp.exp(y))) + 0.25 * xp.sum(x * x * x * x)


def jacobian_fun(xp, x, w, v):
    """``tanh(w @ x) * (v @ x)``: a dense nonlinear map R^n -> R^m (``w``, ``v``: m x n)."""
    return xp.tanh(xp.matmul(w, x)) * xp.matmul(v, x)


# ---------------------------------------------------------------------------
# Hand-written NumPy: the floor
# ---------------------------------------------------------------------------


def chain_numpy_forward(x, n_ops):
    """The chain by hand: ``(result, saved)``, saving what the backprop reads."""
    saved = []
    for i in range(n_ops):
        k = i % 4
        if k == 0:
            saved.append(x)
            x = np.sin(x)
        elif k == 1:
            x = x * 0.9
        elif k == 2:
            x = np.tanh(x)
            saved.append(x)
        else:
            x = x + 0.1
    return x, saved


def chain_numpy_backward(saved, n_ops, like):
    """Backpropagation of ``sum(chain(x))`` by hand; consumes ``saved``.

    The head gradient of ones is never allocated: the first factor met starts
    the product (the floor for the memory measurement too).
    """
    g = None
    for i in range(n_ops - 1, -1, -1):
        k = i % 4
        if k == 0:
            c = np.cos(saved.pop())
            g = c if g is None else g * c
        elif k == 1:
            g = np.full_like(like, 0.9) if g is None else g * 0.9
        elif k == 2:
            t = saved.pop()
            d = 1.0 - t * t
            g = d if g is None else g * d
        elif g is None:
            g = np.ones_like(like)
    return g


def chain_numpy_grad(x, n_ops):
    """Forward and backpropagation of ``sum(chain(x))`` by hand; returns the gradient."""
    out, saved = chain_numpy_forward(x, n_ops)
    np.sum(out)
    return chain_numpy_backward(saved, n_ops, x)


def mlp_numpy_grads(params, x, y):
    """Gradients of :func:`mlp_loss` by hand (``y`` one-hot, so ``dz = (p - y) / n``)."""
    w1, b1, w2, b2, w3, b3 = params
    n = x.shape[0]
    h1 = np.tanh(x @ w1 + b1)
    a2 = h1 @ w2 + b2
    h2 = np.maximum(a2, 0.0)
    logits = h2 @ w3 + b3
    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    dz = (e / s - y) / n
    gw3, gb3 = h2.T @ dz, dz.sum(axis=0)
    da2 = (dz @ w3.T) * (a2 > 0)
    gw2, gb2 = h1.T @ da2, da2.sum(axis=0)
    da1 = (da2 @ w2.T) * (1.0 - h1 * h1)
    gw1, gb1 = x.T @ da1, da1.sum(axis=0)
    return [gw1, gb1, gw2, gb2, gw3, gb3]


def hessian_numpy(x, a):
    s = 1.0 / (1.0 + np.exp(-(a @ x)))
    return (a.T * (s * (1.0 - s))) @ a + np.diag(3.0 * x * x)


def jacobian_numpy(x, w, v):
    """The Jacobian of :func:`jacobian_fun` by hand, ``(m, n)``."""
    t = np.tanh(w @ x)
    return ((1.0 - t * t) * (v @ x))[:, None] * w + t[:, None] * v


# ---------------------------------------------------------------------------
# Cases and workloads
# ---------------------------------------------------------------------------


@dataclass
class Case:
    """One library on one workload.

    ``step()`` runs the workload once and returns the seconds it measured,
    by phase (``{"total": s}`` or ``{"forward": s, "backward": s}``);
    ``result()`` returns NumPy arrays compared with the floor's;
    ``memory()`` returns measured peak extra bytes by method.
    """

    step: Callable[[], dict]
    result: Callable[[], list] | None = None
    memory: Callable[[], dict] | None = None


@dataclass
class Metric:
    key: str
    label: str
    lower_is_better: bool = True


@dataclass
class Target:
    """``library``'s ``metric`` must be at most ``bound`` (times ``versus``'s, if given)."""

    library: str
    metric: str
    bound: float
    versus: str | None = None
    text: str = ""


@dataclass
class Workload:
    key: str
    title: str
    metrics: list
    targets: list
    libraries: tuple
    reference: str | None = None
    rtol: float = 1e-6
    atol: float = 1e-9
    notes: dict = field(default_factory=dict)

    def sizes(self, quick: bool) -> dict:
        raise NotImplementedError

    def title_for(self, quick: bool) -> str:
        """The title with the sizes of the run (``quick`` or full) filled in."""
        return fill_sizes(self.title, self.sizes(quick))

    def case(self, lib: Library, quick: bool) -> Case:
        raise NotImplementedError

    # (ratio metric, measured metric, library or {library: library} it is relative to)
    ratios: ClassVar[tuple] = ()
    # metrics drawn in docs/benchmarks/benchmarks.png
    plot: ClassVar[tuple] = ()

    def derive(self, lib_name: str, times: dict, memory: dict, quick: bool) -> dict:
        raise NotImplementedError

    def reference_of(self, lib_name: str) -> str | None:
        """The library whose results ``lib_name``'s are checked against."""
        return self.reference

    def add_ratios(self, rows: dict) -> None:
        """Fill the ratio metrics of ``rows`` (``{library: {metric: value}}``) in place."""
        for ratio_key, metric, versus in self.ratios:
            for name, row in rows.items():
                other = versus.get(name, name) if isinstance(versus, dict) else versus
                base = rows.get(other, {}).get(metric)
                if base and row.get(metric) is not None:
                    row[ratio_key] = row[metric] / base


def fill_sizes(text: str, sizes: dict) -> str:
    """``text`` with ``{name}`` replaced by the size called ``name``, written for people.

    A tuple of layer widths reads ``784-512-512-10``; a power of ten from 1000 up reads
    ``10^7``.

    >>> fill_sizes("{ops} ops on {n} floats, MLP {layers}",
    ...            {"ops": 10, "n": 10_000_000, "layers": (4, 2)})
    '10 ops on 10^7 floats, MLP 4-2'
    """
    def show(value) -> str:
        if isinstance(value, tuple):
            return "-".join(str(v) for v in value)
        if isinstance(value, int) and value >= 1000 and str(value).rstrip("0") == "1":
            return f"10^{len(str(value)) - 1}"
        return str(value)

    return text.format(**{k: show(v) for k, v in sizes.items()})


def _timed(f) -> dict:
    t0 = time.perf_counter()
    f()
    return {"total": time.perf_counter() - t0}


# --- a: per-operation overhead ----------------------------------------------


class PerOp(Workload):
    N_OPS: ClassVar[int] = 200
    ratios: ClassVar[tuple] = (("vs_floor", "us_per_op", "numpy"),)
    plot: ClassVar[tuple] = ("us_per_op",)

    def __init__(self):
        super().__init__(
            "a", "Per-operation overhead: {ops} elementwise ops on {n} float64, forward + backward",
            [Metric("us_per_op", "us/op"), Metric("vs_floor", "x numpy floor"),
             Metric("fwd_us_per_op", "recording forward us/op")],
            [Target("ours-numpy", "us_per_op", 0.5, "autograd", "a: ours <= 0.5x HIPS autograd"),
             Target("ours-numpy", "us_per_op", 1.0, "torch", "a: ours <= 1.0x PyTorch"),
             Target("ours-numpy", "fwd_us_per_op", 1.0, "torch",
                    "a: recording forward <= 1.0x PyTorch's")],
            ("ours-numpy", "ours-torch", "numpy", "torch", "autograd", "mygrad", "jax",
             "jax-jit"),
            reference="numpy", rtol=1e-10, atol=1e-12)

    def sizes(self, quick):
        return {"n": 16, "ops": self.N_OPS}

    def case(self, lib, quick):
        x0 = np.linspace(-1.0, 1.0, 16)
        n = self.N_OPS
        if lib.name == "numpy":
            def run_numpy():
                t0 = time.perf_counter()
                out, saved = chain_numpy_forward(x0, n)
                np.sum(out)
                t1 = time.perf_counter()
                chain_numpy_backward(saved, n, x0)
                t2 = time.perf_counter()
                return {"total": t2 - t0, "forward": t1 - t0, "backward": t2 - t1}

            return Case(run_numpy, lambda: [chain_numpy_grad(x0, n)])
        x = lib.array(x0, requires_grad=True)
        result = (lambda: [lib.to_numpy(g) for g in lib.grad(chain_loss, [x], (n,))])
        # the total only where the forward is not timed on its own (jitted JAX compiles
        # the forward and the VJP as one program)
        if type(lib).timed_vjp is Library.timed_vjp or lib.name.startswith("jax"):
            return Case(lambda: _timed(lambda: lib.grad(chain_loss, [x], (n,))), result)

        def run():
            times, _ = lib.timed_vjp(lambda xp, v: chain_loss(xp, [v], n), x)
            return {"total": times["forward"] + times["backward"], **times}

        return Case(run, result)

    def derive(self, lib_name, times, memory, quick):
        row = {"us_per_op": times["total"] / self.N_OPS * 1e6}
        if "forward" in times:  # the forward that records the tape, timed on its own
            row["fwd_us_per_op"] = times["forward"] / self.N_OPS * 1e6
        return row


# --- b: MLP training step -----------------------------------------------------


class MLPStep(Workload):
    ratios: ClassVar[tuple] = (("vs_floor", "ms_per_step", "numpy"),)
    plot: ClassVar[tuple] = ("vs_floor",)

    def __init__(self):
        super().__init__(
            "b", "One SGD step of an MLP {layers} (tanh, relu, softmax CE), batch {batch}, "
            "float32",
            [Metric("ms_per_step", "ms/step"), Metric("vs_floor", "x numpy floor")],
            [Target("ours-numpy", "vs_floor", 1.05, None, "b: ours <= 1.05x the NumPy floor")],
            ("ours-numpy", "ours-torch", "numpy", "torch", "autograd", "mygrad", "jax",
             "jax-jit"),
            reference="numpy", rtol=2e-3, atol=2e-5)

    def sizes(self, quick):
        if quick:
            return {"layers": (32, 16, 16, 10), "batch": 8}
        return {"layers": (784, 512, 512, 10), "batch": 256}

    def _data(self, quick):
        s = self.sizes(quick)
        rng = np.random.default_rng(0)
        layers = s["layers"]
        params = []
        for fan_in, fan_out in zip(layers[:-1], layers[1:]):
            params.append((rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in))
                          .astype(np.float32))
            params.append(np.zeros(fan_out, dtype=np.float32) + np.float32(0.01))
        x = rng.standard_normal((s["batch"], layers[0])).astype(np.float32)
        y = np.eye(layers[-1], dtype=np.float32)[rng.integers(0, layers[-1], s["batch"])]
        return params, x, y

    def case(self, lib, quick):
        params0, x0, y0 = self._data(quick)
        lr = 1e-3
        if lib.name == "numpy":
            params = [p.copy() for p in params0]

            def step_numpy():
                for p, g in zip(params, mlp_numpy_grads(params, x0, y0)):
                    p -= lr * g

            return Case(lambda: _timed(step_numpy),
                        lambda: mlp_numpy_grads(params0, x0, y0))
        params = [lib.array(p, requires_grad=True) for p in params0]
        x, y = lib.array(x0), lib.array(y0)
        state = {"params": params}

        def step():
            ps = state["params"]
            state["params"] = lib.update(ps, lib.grad(mlp_loss, ps, (x, y)), lr)

        def result():
            fresh = [lib.array(p, requires_grad=True) for p in params0]
            return [lib.to_numpy(g) for g in lib.grad(mlp_loss, fresh, (x, y))]

        return Case(lambda: _timed(step), result)

    def derive(self, lib_name, times, memory, quick):
        return {"ms_per_step": times["total"] * 1e3}


# --- c: large elementwise chain -------------------------------------------------


def _rss_peak_extra(run) -> float | None:
    """Peak growth of the resident set while ``run()`` runs, in bytes (Linux only)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM, the peak resident set size
    except OSError:
        return None

    def read(field_name):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field_name):
                    return int(line.split()[1]) * 1024
        return None

    before = read("VmRSS:")
    run()
    peak = read("VmHWM:")
    if before is None or peak is None:
        return None
    return float(peak - before)


def _tracemalloc_peak_extra(run) -> float:
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        run()
        return float(tracemalloc.get_traced_memory()[1] - base)
    finally:
        tracemalloc.stop()


_NUMPY_BASED = ("ours-numpy", "numpy", "autograd", "mygrad")


class LargeChain(Workload):
    N_OPS: ClassVar[int] = 10
    plot: ClassVar[tuple] = ("bwd_over_fwd", "mem_rss")

    def __init__(self):
        super().__init__(
            "c", "{ops} elementwise ops on {n} float64: backward / forward, peak extra memory",
            [Metric("forward_ms", "forward ms"), Metric("backward_ms", "backward ms"),
             Metric("bwd_over_fwd", "bwd/fwd"),
             Metric("mem_rss", "peak extra RSS (x input)"),
             Metric("mem_tracemalloc", "peak extra tracemalloc (x input)")],
            [Target("ours-numpy", "bwd_over_fwd", 1.0, None, "c: ours backward/forward <= 1.0"),
             Target("ours-numpy", "mem_rss", 5.0, None,
                    "c: ours peak extra memory <= 5x the input")],
            ("ours-numpy", "ours-torch", "numpy", "torch", "autograd", "mygrad", "jax",
             "jax-jit"),
            reference="numpy", rtol=1e-9, atol=1e-12)

    def sizes(self, quick):
        return {"n": 10_000 if quick else 10_000_000, "ops": self.N_OPS}

    def case(self, lib, quick):
        n = self.sizes(quick)["n"]
        x0 = np.linspace(-1.0, 1.0, n)
        ops = self.N_OPS
        if lib.name == "numpy":
            def step_numpy():
                t0 = time.perf_counter()
                x, saved = chain_numpy_forward(x0, ops)
                np.sum(x)
                del x
                t1 = time.perf_counter()
                g = chain_numpy_backward(saved, ops, x0)
                t2 = time.perf_counter()
                return {"forward": t1 - t0, "backward": t2 - t1}, g

            return Case(lambda: step_numpy()[0], lambda: [step_numpy()[1]],
                        self._memory(lib.name, lambda: step_numpy()))
        x = lib.array(x0, requires_grad=True)
        fun = _ChainFun(ops)

        def step():
            return lib.timed_vjp(fun, x)[0]

        return Case(step, lambda: [lib.to_numpy(lib.timed_vjp(fun, x)[1])],
                    self._memory(lib.name, lambda: lib.timed_vjp(fun, x)))

    @staticmethod
    def _memory(name, run):
        def memory():
            gc.collect()
            result = {"mem_rss": _rss_peak_extra(run)}
            if name in _NUMPY_BASED:
                gc.collect()
                result["mem_tracemalloc"] = _tracemalloc_peak_extra(run)
            return result

        return memory

    def derive(self, lib_name, times, memory, quick):
        n_bytes = self.sizes(quick)["n"] * 8
        out = {"forward_ms": times["forward"] * 1e3, "backward_ms": times["backward"] * 1e3,
               "bwd_over_fwd": times["backward"] / times["forward"]}
        for key in ("mem_rss", "mem_tracemalloc"):
            if memory.get(key) is not None:
                out[key] = memory[key] / n_bytes
        return out


class _ChainFun:
    """``sum(chain(x))`` as a picklable, hashable callable (JAX caches by it)."""

    def __init__(self, ops):
        self.ops = ops

    def __call__(self, xp, x):
        return xp.sum(chain(xp, x, self.ops))


# --- d: Hessian -------------------------------------------------------------------


class Hessian(Workload):
    ratios: ClassVar[tuple] = (("vs_torch", "ms", "torch"),)
    plot: ClassVar[tuple] = ("ms",)

    def __init__(self):
        super().__init__(
            "d", "Hessian of a scalar function of {n} variables",
            [Metric("ms", "ms/Hessian"),
             Metric("vs_torch", "x torch.autograd.functional.hessian(vectorize=True)")],
            [Target("ours-numpy", "ms", 1.0, "torch",
                    "d: ours <= torch.autograd.functional.hessian(vectorize=True)")],
            ("ours-numpy", "ours-torch", "numpy", "torch", "autograd", "mygrad", "jax",
             "jax-jit"),
            reference="numpy", rtol=1e-8, atol=1e-10)

    def sizes(self, quick):
        return {"n": 5 if quick else 50}

    def case(self, lib, quick):
        n = self.sizes(quick)["n"]
        rng = np.random.default_rng(1)
        a0 = rng.standard_normal((n, n)) / np.sqrt(n)
        x0 = rng.standard_normal(n) * 0.5
        if lib.name == "numpy":
            return Case(lambda: _timed(lambda: hessian_numpy(x0, a0)),
                        lambda: [hessian_numpy(x0, a0)])
        if not lib.has_higher_order:
            raise Unavailable(f"{lib.name} has no higher-order derivatives")
        x, a = lib.array(x0, requires_grad=True), lib.array(a0)
        return Case(lambda: _timed(lambda: lib.hessian(hessian_fun, x, (a,))),
                    lambda: [lib.to_numpy(lib.hessian(hessian_fun, x, (a,)))])

    def derive(self, lib_name, times, memory, quick):
        return {"ms": times["total"] * 1e3}


# --- e: forward only --------------------------------------------------------------


class ForwardOnly(Workload):
    N_OPS: ClassVar[int] = 200

    def __init__(self):
        super().__init__(
            "e", "Forward only, nothing requires a gradient: {ops} elementwise ops, per op",
            [Metric("us_per_op", "us/op ({small} el.)"),
             Metric("vs_bare", "x bare ({small} el.)"),
             Metric("us_per_op_large", "us/op ({large} el.)"),
             Metric("vs_bare_large", "x bare ({large} el.)")],
            [Target("ours-numpy", "vs_bare", 2.0, None,
                    "e: ours <= 2x the bare backend per op (numpy)"),
             Target("ours-torch", "vs_bare", 1.3, None,
                    "e: ours <= 1.3x the bare backend per op (torch)")],
            ("ours-numpy", "ours-torch", "numpy", "torch"),
            reference=None, rtol=1e-12, atol=1e-14)
        self.notes["numpy"] = "bare array_api_compat.numpy namespace"
        self.notes["torch"] = "bare array_api_compat.torch namespace, no_grad"

    BARE: ClassVar[dict] = {"ours-numpy": "numpy", "ours-torch": "torch"}
    ratios: ClassVar[tuple] = (("vs_bare", "us_per_op", BARE),
                               ("vs_bare_large", "us_per_op_large", BARE))
    plot: ClassVar[tuple] = ("vs_bare",)

    def reference_of(self, lib_name):
        return self.BARE.get(lib_name)

    def sizes(self, quick):
        return {"small": 16, "large": 1000 if quick else 100_000, "ops": self.N_OPS}

    def case(self, lib, quick):
        s = self.sizes(quick)
        xs = [lib.array(np.linspace(-1.0, 1.0, s["small"])),
              lib.array(np.linspace(-1.0, 1.0, s["large"]))]
        n = self.N_OPS

        def step():
            t0 = time.perf_counter()
            lib.forward(chain, (xs[0], n))
            t1 = time.perf_counter()
            lib.forward(chain, (xs[1], n))
            t2 = time.perf_counter()
            return {"small": t1 - t0, "large": t2 - t1}

        return Case(step, lambda: [lib.to_numpy(lib.forward(chain, (x, n))) for x in xs])

    def derive(self, lib_name, times, memory, quick):
        return {"us_per_op": times["small"] / self.N_OPS * 1e6,
                "us_per_op_large": times["large"] / self.N_OPS * 1e6}


# --- f, g: Jacobians -----------------------------------------------------------------


class Jacobian(Workload):
    """The Jacobian of :func:`jacobian_fun`, R^n -> R^m, by one library's transform."""

    ratios: ClassVar[tuple] = (("vs_torch", "ms", "torch"), ("vs_rows", "ms", "ours-rows"))
    plot: ClassVar[tuple] = ("ms",)

    def __init__(self, key, mode, n, m, peer):
        self.mode, self.n, self.m = mode, n, m
        how = "reverse mode (jacrev)" if mode == "rev" else "forward mode (jacfwd)"
        super().__init__(
            key, f"Jacobian, {how}, of tanh(W @ x) * (V @ x), R^{{n}} -> R^{{m}}, float64",
            [Metric("ms", "ms/Jacobian"), Metric("vs_torch", f"x {peer}"),
             Metric("vs_rows", "x row by row")],
            [Target("ours-numpy", "ms", 1.0, "torch", f"{key}: ours <= {peer}")],
            ("ours-numpy", "ours-torch", "ours-rows", "numpy", "torch", "autograd", "mygrad",
             "jax", "jax-jit"),
            reference="numpy", rtol=1e-9, atol=1e-11)
        self.notes["numpy"] = "the Jacobian by hand (closed form)"
        self.notes["ours-rows"] = ("ours over numpy, one " + ("vjp" if mode == "rev" else "jvp")
                                   + " per row in a Python loop (before batching)")
        self.notes["torch"] = f"{peer} (vmap)"
        if mode == "fwd":
            self.notes["autograd"] = "autograd.jacobian: reverse mode, one pass per row"
        else:
            self.notes["autograd"] = "autograd.jacobian: one backward pass per row"

    def sizes(self, quick):
        if quick:
            return {"n": 8, "m": 3} if self.mode == "rev" else {"n": 3, "m": 8}
        return {"n": self.n, "m": self.m}

    def case(self, lib, quick):
        s = self.sizes(quick)
        rng = np.random.default_rng(2)
        w0 = rng.standard_normal((s["m"], s["n"])) / np.sqrt(s["n"])
        v0 = rng.standard_normal((s["m"], s["n"])) / np.sqrt(s["n"])
        x0 = rng.standard_normal(s["n"])
        if lib.name == "numpy":
            return Case(lambda: _timed(lambda: jacobian_numpy(x0, w0, v0)),
                        lambda: [jacobian_numpy(x0, w0, v0)])
        if not lib.has_higher_order:
            raise Unavailable(f"{lib.name} has no Jacobian transform")
        x, w, v = lib.array(x0), lib.array(w0), lib.array(v0)
        mode = self.mode

        def jac():
            return lib.jacobian(jacobian_fun, x, (w, v), mode)

        if lib.name.startswith("ours"):
            from arrayapi_autograd import _batching

            before = dict(_batching.fallbacks)
            jac()
            looped = {op: c - before.get(op, 0) for op, c in _batching.fallbacks.items()
                      if c != before.get(op, 0)}
            if looped:
                self.notes[lib.name] = "ops looped over the rows: " + ", ".join(sorted(looped))
            else:
                self.notes.pop(lib.name, None)
        return Case(lambda: _timed(jac), lambda: [lib.to_numpy(jac())])

    def derive(self, lib_name, times, memory, quick):
        return {"ms": times["total"] * 1e3}


WORKLOADS = {w.key: w for w in (PerOp(), MLPStep(), LargeChain(), Hessian(), ForwardOnly(),
                                Jacobian("f", "rev", 200, 20, "torch.func.jacrev"),
                                Jacobian("g", "fwd", 20, 200, "torch.func.jacfwd"))}

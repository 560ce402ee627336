"""The libraries compared, each behind the same small adapter.

A :class:`Library` gives the workloads a namespace ``xp`` to run the shared
array API function bodies on, and the few verbs that differ between autodiff
libraries: make an input, take gradients, update parameters in place, take a
Hessian or a Jacobian, convert back to NumPy.  The hand-written NumPy floor (``numpy``) has
no autodiff; each workload supplies its own backpropagation for it.
"""

from __future__ import annotations

import importlib
from time import perf_counter
from typing import Any, Callable, Sequence

import numpy as np


class Unavailable(Exception):
    """The library (or this workload on it) cannot run here; the message says why."""


class Library:
    """Adapter over one autodiff library.

    Attributes
    ----------
    name : str
        Short name used in the tables (``"ours-numpy"``, ``"torch"``...).
    description : str
        One line for the report.
    package : str
        The distribution whose version the report lists.
    """

    name = ""
    description = ""
    package = ""
    has_higher_order = True

    def load(self) -> None:
        """Import the library; raise :class:`Unavailable` with a note if it is missing."""

    def version(self) -> str:
        try:
            return importlib.import_module(self.package).__version__
        except Exception:  # noqa: BLE001 - a version string is best effort
            try:
                from importlib.metadata import version

                return version(self.package)
            except Exception:  # noqa: BLE001
                return "?"

    xp: Any = None

    def array(self, values: np.ndarray, requires_grad: bool = False):
        raise NotImplementedError

    def grad(self, fun: Callable, params: Sequence, consts: Sequence) -> list:
        """Gradients of the scalar ``fun(xp, params, *consts)`` with respect to ``params``."""
        raise NotImplementedError

    def update(self, params: list, grads: list, lr: float) -> list:
        """One SGD step ``p -= lr * g``, in place where the library allows it."""
        raise NotImplementedError

    def hessian(self, fun: Callable, x, consts: Sequence):
        """Hessian of the scalar ``fun(xp, x, *consts)`` at the vector ``x``."""
        raise Unavailable(f"{self.name} has no higher-order derivatives")

    def jacobian(self, fun: Callable, x, consts: Sequence, mode: str):
        """Jacobian of ``fun(xp, x, *consts)`` at the vector ``x``, shape ``(m, n)``.

        ``mode`` is ``"rev"`` (the library's ``jacrev``) or ``"fwd"`` (its ``jacfwd``).
        """
        raise Unavailable(f"{self.name} has no Jacobian transform")

    def timed_vjp(self, fun: Callable, x):
        """Forward then backward of the scalar ``fun(xp, x)``, timed separately.

        Returns ``({"forward": seconds, "backward": seconds}, gradient)``.
        """
        raise NotImplementedError

    def forward(self, fun: Callable, args: Sequence):
        """``fun(xp, *args)`` with nothing recorded."""
        return self.sync(fun(self.xp, *args))

    def to_numpy(self, a) -> np.ndarray:
        return np.asarray(a)

    def sync(self, a):
        """Wait for asynchronous results (JAX); identity elsewhere."""
        return a


class Ours(Library):
    """arrayapi_autograd over one backend."""

    has_higher_order = True
    package = "arrayapi_autograd"

    def __init__(self, backend: str):
        self.backend = backend
        self.name = f"ours-{backend}"
        self.description = f"arrayapi_autograd over {backend}"

    def load(self) -> None:
        try:
            import arrayapi_autograd as ag
            from arrayapi_autograd import autograd
        except ImportError as exc:  # pragma: no cover - the package is the project
            raise Unavailable(str(exc)) from None
        try:
            self.xp = ag.namespace(self.backend)
        except ImportError as exc:
            raise Unavailable(f"backend {self.backend} is not installed ({exc})") from None
        self._ag = ag
        self._autograd = autograd

    def array(self, values, requires_grad=False):
        if self.backend == "torch":
            import torch

            values = torch.from_numpy(np.ascontiguousarray(values))
        a = self.xp.asarray(values)
        if requires_grad:
            a.requires_grad_()
        return a

    def grad(self, fun, params, consts):
        loss = fun(self.xp, params, *consts)
        return list(self._autograd.grad(loss, list(params)))

    def timed_vjp(self, fun, x):
        t0 = perf_counter()
        loss = fun(self.xp, x)
        t1 = perf_counter()
        g = self._autograd.grad(loss, x)
        t2 = perf_counter()
        return {"forward": t1 - t0, "backward": t2 - t1}, g

    def update(self, params, grads, lr):
        with self._ag.no_grad():
            for p, g in zip(params, grads):
                p -= lr * g
        return params

    def hessian(self, fun, x, consts):
        transform = getattr(self._ag, "hessian", None)
        if transform is not None:
            return transform(lambda v: fun(self.xp, v, *consts))(x)
        # Fallback until the transforms land: the Jacobian of the gradient,
        # one reverse sweep per row through a graph recorded with create_graph.
        g = self._autograd.grad(fun(self.xp, x, *consts), x, create_graph=True)
        rows = [self._autograd.grad(g[i], x, retain_graph=True) for i in range(x.shape[0])]
        return self.xp.stack(rows)

    def jacobian(self, fun, x, consts, mode):
        transform = self._ag.jacrev if mode == "rev" else self._ag.jacfwd
        return transform(lambda v: fun(self.xp, v, *consts))(x)

    def to_numpy(self, a):
        return np.asarray(self.xp._to_numpy(a.detach()._data))


class OursRowByRow(Ours):
    """arrayapi_autograd over NumPy, one ``vjp`` (or ``jvp``) per row in a Python loop.

    What ``jacrev``/``jacfwd`` did before the cotangents (tangents) were batched:
    reverse mode records ``f`` once and runs one backward pass per output
    element; forward mode runs ``f`` once per input element with a basis
    tangent.  The baseline that shows what batching gains.
    """

    def __init__(self):
        super().__init__("numpy")
        self.name = "ours-rows"
        self.description = "arrayapi_autograd over numpy, one vjp/jvp per row (Python loop)"

    def hessian(self, fun, x, consts):
        raise Unavailable("the row-by-row baseline is measured on the Jacobian workloads only")

    def jacobian(self, fun, x, consts, mode):
        ag, xp = self._ag, self.xp

        def f(v):
            return fun(xp, v, *consts)

        if mode == "rev":
            out, vjp_fn = ag.vjp(f, x)
            m = out.shape[0]
            eye = xp.eye(m, dtype=out.dtype)
            return xp.stack([vjp_fn(eye[k, :])[0] for k in range(m)], axis=0)
        n = x.shape[0]
        eye = xp.eye(n, dtype=x.dtype)
        return xp.stack([ag.jvp(f, (x,), (eye[k, :],))[1] for k in range(n)], axis=-1)


class Torch(Library):
    """PyTorch autograd, running the array API bodies through array_api_compat.torch."""

    name = "torch"
    description = "PyTorch autograd (array_api_compat.torch namespace)"
    package = "torch"

    def load(self):
        try:
            import torch
            import array_api_compat.torch as xp
        except ImportError as exc:
            raise Unavailable(f"torch is not installed ({exc})") from None
        self.torch = torch
        self.xp = xp

    def array(self, values, requires_grad=False):
        a = self.torch.from_numpy(np.array(values))
        if requires_grad:
            a.requires_grad_()
        return a

    def grad(self, fun, params, consts):
        loss = fun(self.xp, params, *consts)
        return list(self.torch.autograd.grad(loss, list(params)))

    def timed_vjp(self, fun, x):
        t0 = perf_counter()
        loss = fun(self.xp, x)
        t1 = perf_counter()
        (g,) = self.torch.autograd.grad(loss, [x])
        t2 = perf_counter()
        return {"forward": t1 - t0, "backward": t2 - t1}, g

    def update(self, params, grads, lr):
        with self.torch.no_grad():
            for p, g in zip(params, grads):
                p -= lr * g
        return params

    def hessian(self, fun, x, consts):
        # the batched (vmap) Hessian of torch.autograd.functional, the peer of ours
        return self.torch.autograd.functional.hessian(lambda v: fun(self.xp, v, *consts), x,
                                                      vectorize=True)

    def jacobian(self, fun, x, consts, mode):
        func = self.torch.func
        transform = func.jacrev if mode == "rev" else func.jacfwd
        return transform(lambda v: fun(self.xp, v, *consts))(x)

    def forward(self, fun, args):
        with self.torch.no_grad():
            return fun(self.xp, *args)

    def to_numpy(self, a):
        return a.detach().numpy()


class HipsAutograd(Library):
    """HIPS autograd: the bodies run on ``autograd.numpy``."""

    name = "autograd"
    description = "HIPS autograd (autograd.numpy namespace)"
    package = "autograd"

    def load(self):
        try:
            import autograd
            import autograd.numpy as anp
        except ImportError:
            raise Unavailable("HIPS autograd is not installed (pip install autograd)") from None
        self.autograd = autograd
        self.xp = anp  # NumPy names agree with the array API for the bodies' functions

    def array(self, values, requires_grad=False):
        return np.array(values)

    def grad(self, fun, params, consts):
        return list(self.autograd.grad(lambda ps: fun(self.xp, ps, *consts))(list(params)))

    def update(self, params, grads, lr):
        for p, g in zip(params, grads):
            p -= lr * g
        return params

    def timed_vjp(self, fun, x):
        t0 = perf_counter()
        vjp, _ = self.autograd.make_vjp(lambda v: fun(self.xp, v))(x)
        t1 = perf_counter()
        g = vjp(1.0)
        t2 = perf_counter()
        return {"forward": t1 - t0, "backward": t2 - t1}, g

    def hessian(self, fun, x, consts):
        return self.autograd.hessian(lambda v: fun(self.xp, v, *consts))(x)

    def jacobian(self, fun, x, consts, mode):
        # HIPS autograd has one Jacobian, reverse mode, one backward pass per
        # output element; it stands in for forward mode too.
        return self.autograd.jacobian(lambda v: fun(self.xp, v, *consts))(x)


class MyGrad(Library):
    """MyGrad: the bodies run on the top-level ``mygrad`` namespace."""

    name = "mygrad"
    description = "MyGrad (mygrad namespace)"
    package = "mygrad"
    has_higher_order = False

    def load(self):
        try:
            import mygrad
        except ImportError:
            raise Unavailable("MyGrad is not installed (pip install mygrad)") from None
        self.mygrad = mygrad
        self.xp = mygrad  # same: NumPy-like names

    def array(self, values, requires_grad=False):
        return self.mygrad.tensor(np.array(values), constant=not requires_grad)

    def grad(self, fun, params, consts):
        loss = fun(self.xp, params, *consts)
        loss.backward()
        return [p.grad for p in params]

    def timed_vjp(self, fun, x):
        t0 = perf_counter()
        loss = fun(self.xp, x)
        t1 = perf_counter()
        loss.backward()
        g = x.grad
        t2 = perf_counter()
        return {"forward": t1 - t0, "backward": t2 - t1}, g

    def update(self, params, grads, lr):
        for p, g in zip(params, grads):
            p.data -= lr * g
        return params

    def forward(self, fun, args):
        with self.mygrad.no_autodiff:
            return fun(self.xp, *args)

    def to_numpy(self, a):
        return np.asarray(a.data if hasattr(a, "data") else a)


class Jax(Library):
    """JAX, eager (``jit=False``) or compiled with ``jax.jit``."""

    package = "jax"

    def __init__(self, jit: bool):
        self.jit = jit
        self.name = "jax-jit" if jit else "jax"
        self.description = "JAX with jax.jit" if jit else "JAX, eager"
        self._cache: dict = {}

    def load(self):
        try:
            import jax
            import jax.numpy as jnp
        except ImportError:
            raise Unavailable("JAX is not installed (pip install jax)") from None
        jax.config.update("jax_enable_x64", True)
        self.jax = jax
        self.xp = jnp

    def _transform(self, key, make):
        f = self._cache.get(key)
        if f is None:
            f = make()
            if self.jit:
                f = self.jax.jit(f)
            self._cache[key] = f
        return f

    def array(self, values, requires_grad=False):
        return self.xp.asarray(values)

    def _split(self, args):
        """Arrays are traced arguments; anything else (op counts) is closed over."""
        static = tuple((i, a) for i, a in enumerate(args) if not hasattr(a, "shape"))
        arrays = tuple(a for a in args if hasattr(a, "shape"))

        def merge(traced):
            merged, it = list(args), iter(traced)
            for i, a in enumerate(args):
                merged[i] = a if any(i == j for j, _ in static) else next(it)
            return merged

        return static, arrays, merge

    def grad(self, fun, params, consts):
        static, arrays, merge = self._split(consts)
        f = self._transform(("grad", fun, static), lambda: self.jax.grad(
            lambda ps, *cs: fun(self.xp, ps, *merge(cs))))
        return [self.sync(g) for g in f(list(params), *arrays)]

    def update(self, params, grads, lr):
        return [p - lr * g for p, g in zip(params, grads)]

    def timed_vjp(self, fun, x):
        if self.jit:
            # Compiled: forward = jit(f); backward = jit(grad f) minus the forward.
            f = self._transform(("value", fun), lambda: lambda v: fun(self.xp, v))
            g = self._transform(("grad1", fun), lambda: self.jax.grad(lambda v: fun(self.xp, v)))
            t0 = perf_counter()
            self.sync(f(x))
            t1 = perf_counter()
            grad = self.sync(g(x))
            t2 = perf_counter()
            return {"forward": t1 - t0, "backward": max(t2 - t1 - (t1 - t0), 0.0)}, grad
        t0 = perf_counter()
        out, vjp = self.jax.vjp(lambda v: fun(self.xp, v), x)
        self.sync(out)
        t1 = perf_counter()
        (grad,) = vjp(self.xp.ones_like(out))
        self.sync(grad)
        t2 = perf_counter()
        return {"forward": t1 - t0, "backward": t2 - t1}, grad

    def hessian(self, fun, x, consts):
        static, arrays, merge = self._split(consts)
        f = self._transform(("hessian", fun, static), lambda: self.jax.hessian(
            lambda v, *cs: fun(self.xp, v, *merge(cs))))
        return self.sync(f(x, *arrays))

    def jacobian(self, fun, x, consts, mode):
        static, arrays, merge = self._split(consts)
        transform = self.jax.jacrev if mode == "rev" else self.jax.jacfwd
        f = self._transform(("jacobian", mode, fun, static), lambda: transform(
            lambda v, *cs: fun(self.xp, v, *merge(cs))))
        return self.sync(f(x, *arrays))

    def forward(self, fun, args):
        static, arrays, merge = self._split(args)
        f = self._transform(("forward", fun, static), lambda: lambda *a: fun(self.xp, *merge(a)))
        return self.sync(f(*arrays))

    def to_numpy(self, a):
        return np.asarray(a)

    def sync(self, a):
        return a.block_until_ready() if hasattr(a, "block_until_ready") else a


class HandNumpy(Library):
    """Hand-written NumPy forward and backpropagation: the floor.

    The workloads carry the backpropagation code; this adapter only gives the
    namespace (``array_api_compat.numpy``) for forward-only runs.
    """

    name = "numpy"
    description = "hand-written NumPy forward and backprop (the floor)"
    package = "numpy"

    def load(self):
        import array_api_compat.numpy as xp

        self.xp = xp

    def array(self, values, requires_grad=False):
        return np.array(values)


def all_libraries() -> list[Library]:
    """Every library the benchmarks know, in table order."""
    return [Ours("numpy"), Ours("torch"), OursRowByRow(), HandNumpy(), Torch(), HipsAutograd(),
            MyGrad(), Jax(jit=False), Jax(jit=True)]

"""Checking derivatives of your own array API functions: :func:`check_grads`.

The same checks the conformance suite (``conformance_tests/``) runs on every
op of the namespace, for a user's function: reverse mode (VJP) and forward
mode (JVP) against central finite differences, the two against each other
(``<ct, J t> = <J^T ct, t>``, from autograd's ``test_util.py``), up to any
order (the check is applied again to the VJP and JVP functions themselves, as
JAX's ``check_grads`` does), and, on request, against PyTorch's autograd.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from . import autograd
from ._array_object import Array
from ._tape import dual_level, make_dual, unpack_dual

__all__ = ["check_grads"]

_DEFAULTS = {  # (eps, rtol, atol) per precision, for finite differences
    "float64": (1e-6, 1e-5, 1e-8),
    "float32": (1e-3, 2e-2, 2e-3),
}


def check_grads(f: Callable, *args, order: int = 2, modes: Sequence[str] = ("rev", "fwd"),
                rtol: float | None = None, atol: float | None = None,
                eps: float | None = None, reference: Any = None, seed: int = 0) -> None:
    """Check the derivatives of ``f`` at ``args``; raise ``AssertionError`` where they differ.

    Parameters
    ----------
    f : callable
        An array API function: ``f(*args)`` returns an array or a (nested)
        tuple/list of arrays.  Floating-point outputs are differentiated.
    *args : Array or nested tuple/list of Array
        Wrapped arrays of one differentiable namespace (e.g.
        ``arrayapi_autograd.numpy``).  Floating-point arrays are the inputs
        differentiated; other arrays and values are constants.
    order : int
        Highest order checked: ``2`` also checks the derivatives of the VJP
        function ``x -> J(x)^T ct`` (reverse over reverse, forward over
        reverse) and of the JVP function ``x -> J(x) t`` (reverse over forward,
        forward over forward).
    modes : sequence of {"rev", "fwd"}
        ``"rev"``: ``<ct, FD(J t)>`` must equal ``<VJP(ct), t>``; ``"fwd"``:
        the JVP must equal the finite difference ``FD(J t)`` elementwise.  With
        both, ``<ct, JVP(t)>`` must also equal ``<VJP(ct), t>``.
    rtol, atol, eps : float, optional
        Tolerances and the finite-difference step; defaults by precision:
        float64 ``rtol=1e-5, atol=1e-8, eps=1e-6``, float32 ``rtol=2e-2,
        atol=2e-3, eps=1e-3``.  (Finite differences are run in the inputs'
        own dtype, so cast to float64 first for tight checks.)
    reference : None, "torch" or callable
        Also compare the values, the VJP and the JVP (first order) and the
        second-order VJP against PyTorch's autograd, in float64.  ``"torch"``
        runs ``f`` itself on torch tensors: ``f`` must be namespace-generic,
        i.e. obtain its namespace with ``array_api_compat.array_namespace(...)``
        from its arguments (our arrays and torch tensors both answer it).  A
        callable is used as the PyTorch version of ``f`` (same signature, on
        torch tensors).  ``None`` (the default): finite differences only.
    seed : int
        Seed of the random directions ``t`` and cotangents ``ct``.

    Raises
    ------
    AssertionError
        Names the check (mode, order, which input or output), the two values
        and the tolerance.

    Examples
    --------
    >>> import arrayapi_autograd.numpy as xp
    >>> from arrayapi_autograd.testing import check_grads
    >>> check_grads(lambda x: xp.sum(xp.sin(x) * x), xp.asarray([0.5, 1.5]))
    """
    for m in modes:
        if m not in ("rev", "fwd"):
            raise ValueError(f"modes must contain 'rev' and/or 'fwd', got {m!r}")
    leaves, rebuild = _flatten_inputs(args)
    if not leaves:
        raise ValueError("check_grads needs at least one floating-point array argument")
    ns = leaves[0]._ns
    precision = "float32" if _precision(ns, leaves[0]) == 32 else "float64"
    d_eps, d_rtol, d_atol = _DEFAULTS[precision]
    tol = _Tolerance(rtol if rtol is not None else d_rtol,
                     atol if atol is not None else d_atol,
                     eps if eps is not None else d_eps)

    def flat_f(*xs):
        return _float_outputs(f(*rebuild(xs)))

    ref = None
    if reference is not None:
        ref = _torch_reference(f, args, reference)
    rng = np.random.default_rng(seed)
    _check(flat_f, [x.detach() for x in leaves], order, tuple(modes), tol, rng, ref, "")


class _Tolerance:
    def __init__(self, rtol, atol, eps):
        self.rtol, self.atol, self.eps = rtol, atol, eps


# --- trees -------------------------------------------------------------------------


def _is_float_array(x) -> bool:
    return isinstance(x, Array) and x._ns._is_float_dtype(x.dtype)


def _flatten_inputs(args):
    leaves: list = []

    def walk(obj):
        if _is_float_array(obj):
            leaves.append(obj)
        elif isinstance(obj, (tuple, list)):
            for o in obj:
                walk(o)

    walk(args)

    def rebuild(xs, other=lambda obj: obj):
        """``args`` with its float arrays replaced by ``xs``, other leaves by ``other(leaf)``."""
        it = iter(xs)

        def build(obj):
            if _is_float_array(obj):
                return next(it)
            if isinstance(obj, (tuple, list)):
                return type(obj)(build(o) for o in obj)
            return other(obj)

        return build(args)

    return leaves, rebuild


def _float_outputs(out) -> list:
    found: list = []

    def walk(obj):
        if isinstance(obj, (tuple, list)):
            for o in obj:
                walk(o)
        elif _is_float_array(obj):
            found.append(obj)

    walk(out)
    return found


def _precision(ns, x) -> int:
    return 32 if x.dtype in (getattr(ns, "float32", None), getattr(ns, "complex64", None)) \
        else 64


# --- numerics with the namespace (works on any backend and device) -------------------


def _random_like(ns, x, rng):
    values = rng.standard_normal(x.shape)
    if ns._is_complex_dtype(x.dtype):
        values = values + 1j * rng.standard_normal(x.shape)
    return ns.asarray(np.asarray(values), dtype=x.dtype, device=x.device)


def _inner(ns, a, b) -> float:
    """``Re(sum(conj(a) * b))`` as a Python float."""
    if ns._is_complex_dtype(a.dtype) or ns._is_complex_dtype(b.dtype):
        return float(ns.sum(ns.real(ns.conj(a) * b)))
    return float(ns.sum(a * b))


def _abs_inner(ns, a, b) -> float:
    return float(ns.sum(ns.abs(a) * ns.abs(b)))


def _max_abs(ns, a) -> float:
    return float(ns.max(ns.abs(a))) if a.size else 0.0


def _preview(a) -> str:
    try:
        return np.array2string(np.asarray(a._ns._to_numpy(a.detach()._data)).ravel()[:6],
                               precision=6)
    except Exception:
        return repr(a)


# --- the checks --------------------------------------------------------------------


def _variable(x):
    """``x`` itself if it requires a gradient, else a leaf that does, keeping its tangents."""
    if x.requires_grad:
        return x
    v = Array._from_node(x._data, x._ns, None, 0, None, x._tangents)
    return v.requires_grad_(True)


def _vjp(f, xs, cts, create_graph):
    xs = [_variable(x) for x in xs]
    outs = f(*xs)
    heads = [o for o in outs if o.requires_grad]
    head_cts = [c for o, c in zip(outs, cts) if o.requires_grad]
    ns = xs[0]._ns
    if not heads:
        return outs, [ns.zeros_like(x.detach()) for x in xs]
    grads = autograd.grad(heads, xs, head_cts, create_graph=create_graph,
                          retain_graph=create_graph, allow_unused=True)
    return outs, [g if g is not None else ns.zeros_like(x.detach()) for g, x in zip(grads, xs)]


def _jvp(f, xs, ts):
    with dual_level() as level:
        duals = [make_dual(x, t, level) for x, t in zip(xs, ts)]
        outs = f(*duals)
        return [unpack_dual(o, level)[1] for o in outs]


def _fd(f, xs, ts, eps):
    plus = f(*[x.detach() + eps * t for x, t in zip(xs, ts)])
    minus = f(*[x.detach() - eps * t for x, t in zip(xs, ts)])
    return [(p - m).detach() / (2 * eps) for p, m in zip(plus, minus)]


def _close(ns, label, ours, expected, tol, where):
    diff = _max_abs(ns, ours - expected) if ours.size else 0.0
    bound = tol.atol + tol.rtol * _max_abs(ns, expected)
    if not diff <= bound:
        raise AssertionError(
            f"check_grads{where}: {label} differ by {diff:.6g} (allowed {bound:.3g} = atol "
            f"{tol.atol:g} + rtol {tol.rtol:g} * max|expected|)\n"
            f"    got:      {_preview(ours)}\n    expected: {_preview(expected)}")


def _identity(ns, label, lhs, rhs, scale, tol, where):
    if not abs(lhs - rhs) <= tol.atol + tol.rtol * scale:
        raise AssertionError(f"check_grads{where}: {label}: {lhs:.10g} != {rhs:.10g} "
                             f"(rtol {tol.rtol:g}, atol {tol.atol:g})")


def _check(f, xs, order, modes, tol, rng, ref, where):
    ns = xs[0]._ns
    outs = [o.detach() for o in f(*xs)]
    if not outs:
        raise AssertionError(f"check_grads{where}: the function has no floating-point output")
    ts = [_random_like(ns, x, rng) for x in xs]
    cts = [_random_like(ns, o, rng) for o in outs]
    fd = _fd(f, xs, ts, tol.eps)
    lhs_fd = sum(_inner(ns, c, d) for c, d in zip(cts, fd))
    scale_fd = sum(_abs_inner(ns, c, d) for c, d in zip(cts, fd))
    grads = jt = None
    if "rev" in modes:
        _, grads = _vjp(f, xs, cts, create_graph=False)
        rhs = sum(_inner(ns, g, t) for g, t in zip(grads, ts))
        scale = scale_fd + sum(_abs_inner(ns, g, t) for g, t in zip(grads, ts))
        _identity(ns, "reverse mode: <ct, finite-difference J t> vs <VJP(ct), t>",
                  lhs_fd, rhs, scale, tol, where)
    if "fwd" in modes:
        jt = _jvp(f, xs, ts)
        for i, (a, b) in enumerate(zip(jt, fd)):
            _close(ns, f"forward mode: JVP of output {i} and its finite difference", a, b,
                   tol, where)
    if grads is not None and jt is not None:
        lhs = sum(_inner(ns, c, j) for c, j in zip(cts, jt))
        rhs = sum(_inner(ns, g, t) for g, t in zip(grads, ts))
        scale = sum(_abs_inner(ns, c, j) for c, j in zip(cts, jt)) + \
            sum(_abs_inner(ns, g, t) for g, t in zip(grads, ts))
        _identity(ns, "<ct, JVP(t)> vs <VJP(ct), t>", lhs, rhs, scale, tol, where)
    if ref is not None:
        ref.compare(f, xs, outs, cts, ts, grads, jt, tol, where)
    if order > 1:
        def vjp_fn(*ys):
            return _vjp(f, ys, cts, create_graph=True)[1]

        _check(vjp_fn, xs, order - 1, modes, tol, rng,
               ref.vjp(cts) if ref is not None else None, where + f" [VJP of order {order}]")
        if "fwd" in modes:
            def jvp_fn(*ys):
                return _jvp(f, ys, ts)

            _check(jvp_fn, xs, order - 1, modes, tol, rng, None,
                   where + f" [JVP of order {order}]")


# --- PyTorch reference ----------------------------------------------------------------


class _TorchFunction:
    """A function of flat float64 torch tensors mirroring one of our flat functions."""

    def __init__(self, fn, first_order=True):
        self.fn = fn  # fn(list of tensors) -> list of tensors
        self.first_order = first_order  # the JVP is compared at first order only

    def vjp(self, cts):
        torch = _torch()
        cts_np = [_to_numpy(c) for c in cts]

        def fn(xs):
            outs = self.fn(xs)
            pairs = [(o, torch.from_numpy(c).to(o.dtype)) for o, c in zip(outs, cts_np)
                     if o.requires_grad]
            if not pairs:
                return [torch.zeros_like(x) for x in xs]
            grads = torch.autograd.grad([p[0] for p in pairs], xs, [p[1] for p in pairs],
                                        create_graph=True, allow_unused=True)
            return [g if g is not None else torch.zeros_like(x) for g, x in zip(grads, xs)]

        return _TorchFunction(fn, first_order=False)

    def compare(self, f, xs, outs, cts, ts, grads, jt, tol, where):
        torch = _torch()
        ns = xs[0]._ns
        txs = [torch.from_numpy(_to_numpy(x).astype(_wide(x))).requires_grad_(True)
               for x in xs]
        touts = self.fn(txs)
        if len(touts) != len(outs):
            raise AssertionError(f"check_grads{where}: {len(outs)} floating-point output(s), "
                                 f"the PyTorch reference {len(touts)}")
        for i, (o, r) in enumerate(zip(outs, touts)):
            _close(ns, f"output {i} and PyTorch's", o, _from_torch(ns, r, o), tol, where)
        if grads is not None:
            tgrads = self.vjp(cts).fn(txs)
            for i, (g, r) in enumerate(zip(grads, tgrads)):
                _close(ns, f"VJP of input {i} and torch.autograd's", g,
                       _from_torch(ns, r, g), tol, where)
        if jt is not None and self.first_order:
            import torch.autograd.forward_ad as fwAD

            with fwAD.dual_level():
                duals = [fwAD.make_dual(x.detach(), torch.from_numpy(_to_numpy(t).astype(
                    _wide(t)))) for x, t in zip(txs, ts)]
                touts = self.fn(duals)
                tjt = [fwAD.unpack_dual(o).tangent for o in touts]
            for i, (j, r) in enumerate(zip(jt, tjt)):
                expected = ns.zeros_like(j) if r is None else _from_torch(ns, r, j)
                _close(ns, f"JVP of output {i} and PyTorch's forward mode", j, expected,
                       tol, where)


def _torch():
    try:
        import torch
    except ImportError as exc:  # pragma: no cover
        raise ImportError("check_grads(reference=...) needs PyTorch installed") from exc
    return torch


def _wide(x):
    return np.complex128 if x._ns._is_complex_dtype(x.dtype) else np.float64


def _to_numpy(x) -> np.ndarray:
    return np.asarray(x._ns._to_numpy(x.detach()._data))


def _from_torch(ns, t, like):
    values = t.detach().numpy(force=True)
    return ns.asarray(values, dtype=like.dtype, device=like.device)


def _torch_reference(f, args, reference) -> _TorchFunction:
    torch = _torch()
    leaves, rebuild = _flatten_inputs(args)

    def convert_constants(obj):
        # the leaves that are not differentiated: arrays become torch constants
        if isinstance(obj, Array):
            return torch.from_numpy(np.array(_to_numpy(obj), copy=True))
        return obj

    target = f if reference == "torch" else reference
    if not callable(target):
        raise ValueError(f"reference must be None, 'torch' or a callable, got {reference!r}")

    def fn(xs):
        out = target(*rebuild(xs, convert_constants))
        found: list = []

        def walk(obj):
            if isinstance(obj, (tuple, list)):
                for o in obj:
                    walk(o)
            elif isinstance(obj, torch.Tensor) and (obj.is_floating_point() or
                                                    obj.is_complex()):
                found.append(obj)

        walk(out)
        return found

    return _TorchFunction(fn)

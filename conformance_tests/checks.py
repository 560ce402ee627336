"""The generic checks: every OpInfo record, on every backend and dtype, against PyTorch.

For one record, one backend and one dtype, each check runs over the same few
samples (drawn once per record with Hypothesis, so that every backend and dtype
sees the same inputs):

``forward``
    Our wrapped function returns what the backend's own function returns on
    the same inputs: same values, dtype and shape (no input recorded).
``vjp``
    The reverse-mode gradient, for a random cotangent on every output that
    PyTorch differentiates, equals ``torch.autograd.grad`` of the reference
    (``OpInfo.ref``, or the same array API call in ``array_api_compat.torch``)
    on float64/complex128 tensors holding the same (rounded) values.  The
    recorded forward value is compared with the reference first, so that a
    mismatch of meaning is reported as such rather than as a wrong gradient.
``grad2``
    Second order: the gradient of ``<v, VJP(ct)>`` with respect to the
    inputs, with ``create_graph=True`` on both sides (reverse over reverse),
    and, for real inputs, the JVP of the VJP function along ``t`` (forward
    over reverse) against PyTorch's ``d<t, VJP(ct)>/dx`` (equal by symmetry
    of the Hessian).
``fd``
    Central finite differences in float64 (``smooth`` records only):
    ``<ct, (f(x + eps t) - f(x - eps t)) / (2 eps)>`` equals ``<VJP(ct), t>``.
``jvp``
    Forward mode: ``J t`` from dual numbers equals PyTorch's forward-mode AD
    (``torch.autograd.forward_ad``; the double-VJP trick when an op has no
    forward formula), and ``<ct, J t> = <J^T ct, t>`` (autograd's
    ``test_util.py`` identity).
``batched``
    Three cotangents pushed through the tape at once (batched along a leading
    axis, as the Jacobian transforms do) give, row by row, the VJPs computed
    one cotangent at a time; likewise three tangents in one forward pass.
    This checks every batching rule the VJP and JVP rules meet.  Ops that
    ran once per row (no batching rule) are listed in the notes.
``backends``
    The same inputs give the same values and gradients on this backend as on
    the first backend of the session.
``not_recorded``
    (``differentiable=False`` records) the result has no history and carries
    no tangent even when the inputs require gradients.
``special``
    The record's fixed special-value samples (``OpInfo.edges``: signed zeros,
    infinities, NaN, ties, repeated indices, singular matrices... with NaN and
    infinite cotangents), in float64: every value and every gradient entry
    equals PyTorch's (``backward()``'s, or with ``create_graph=True`` where
    PyTorch's formula differs), NaN and infinities in the same places, or the difference
    is listed in ``special_values.py`` (then the outcome is ``documented``);
    a listed difference that does not occur fails too.  Raising on both sides
    is agreement.

Inner products are real: ``<a, b> = Re(sum(conj(a) * b))``, for which
PyTorch's complex convention (VJP = ct * conj(f')) satisfies the identities.

Errors are *normwise relative*: ``max|ours - ref| / max(max|ref|, 1e-3)``,
compared with the record's ``rtol`` for the dtype.  Any exception raised while
checking an op is a failure of that check, never a crash of the run.
"""

from __future__ import annotations

import fnmatch
import traceback
import zlib
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from arrayapi_autograd import _batching, _tape, autograd
from arrayapi_autograd._array_object import Array
from arrayapi_autograd._batching import BatchedArray
from arrayapi_autograd._tape import dual_level, make_dual, unpack_dual
from arrayapi_autograd._tape import same_shape

from . import special_values
from .opinfos._core import OpInfo, Sample, copies_cotangent, mixed_cotangent

CHECKS = ("forward", "vjp", "jvp", "grad2", "fd", "batched", "backends", "not_recorded",
          "special")
DTYPE_NAMES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
               "uint64", "float32", "float64", "complex64", "complex128")
FD_EPS = 1e-6
FD_RTOL = 1e-6
SCALE_FLOOR = 1e-3


class CheckFailure(AssertionError):
    """A check found a difference (the message says where)."""


@dataclass
class Outcome:
    """The result of one check for one op, backend and dtype over all its samples.

    ``status`` is ``"pass"``, ``"fail"``, ``"skip"``, ``"xfail"`` or
    ``"xpass"`` (an expected failure that passed: a failure of the table);
    the ``special`` check also gives ``"documented"`` (every difference from
    PyTorch is listed in ``special_values.py``).  ``details`` (``special``
    only): one entry per special-value sample and compared array that
    differs, with the documented difference it matches and the evidence.
    """

    op: str
    backend: str
    dtype: str
    check: str
    status: str
    message: str = ""
    error: float | None = None
    sample: str | None = None
    examples: int = 0
    notes: list = field(default_factory=list)
    details: list = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status in ("fail", "xpass")

    def headline(self) -> str:
        where = f"{self.op} [{self.backend}, {self.dtype}] {self.check}"
        if self.status in ("fail", "xpass"):
            text = f"FAILED {where}: {self.message}"
            if self.sample:
                text += f"\n    input: {self.sample}"
            return text
        return f"{self.status} {where}: {self.message}"


# ---------------------------------------------------------------------------
# Which checks apply
# ---------------------------------------------------------------------------


def is_float_name(dtype: str) -> bool:
    return dtype.startswith(("float", "complex"))


def has_edges(info: OpInfo) -> bool:
    """Whether ``info`` has special-value samples (``special`` runs in float64)."""
    return bool(info.edge_samples())


def checks_for(info: OpInfo, dtype: str) -> tuple[str, ...]:
    """The checks that make sense for ``info`` at ``dtype`` (before any backend)."""
    special = ("special",) if dtype == "float64" and has_edges(info) else ()
    if not info.differentiable:
        return ("forward", "not_recorded", "backends") + special
    if not is_float_name(dtype):
        return ("forward", "backends")
    checks = ["forward", "vjp", "jvp"]
    if info.second_order:
        checks.append("grad2")
    if info.smooth and dtype in ("float64", "complex128"):
        checks.append("fd")
    if dtype in ("float64", "complex128"):
        # batching rules do not depend on the precision: checked in double precision
        checks.append("batched")
    checks.append("backends")
    return tuple(checks) + special


def select(infos, patterns: str | None):
    """Records whose name matches one of the comma-separated names or globs."""
    if not patterns:
        return list(infos)
    wanted = [p.strip() for p in patterns.split(",") if p.strip()]
    return [i for i in infos if any(fnmatch.fnmatchcase(i.name, p) for p in wanted)]


# ---------------------------------------------------------------------------
# Samples
# ---------------------------------------------------------------------------


def draw_samples(info: OpInfo, max_examples: int) -> list[Sample]:
    """Up to ``max_examples`` samples for ``info``, drawn with Hypothesis.

    The draw is reproducible (seeded by the op's name, no example database),
    generation only (nothing to shrink: the samples are checked afterwards, on
    every backend), without deadlines or health checks that concern test speed.
    """
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import strategies as st

    collected: list[Sample] = []

    @st.composite
    def samples(draw):
        return info.draw_sample(draw)

    @seed(zlib.crc32(info.name.encode()))
    @settings(max_examples=max_examples, database=None, deadline=None,
              phases=[Phase.generate], derandomize=False, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(samples())
    def collect(sample):
        collected.append(sample)

    collect()
    return collected[:max_examples]


# ---------------------------------------------------------------------------
# Trees of arguments and outputs
# ---------------------------------------------------------------------------


def tree_map(fn: Callable, obj):
    """Apply ``fn`` to the NumPy-array leaves of nested tuples/lists/dicts."""
    if isinstance(obj, np.ndarray):
        return fn(obj)
    if isinstance(obj, tuple) and hasattr(obj, "_fields"):
        return type(obj)(*(tree_map(fn, o) for o in obj))
    if isinstance(obj, (tuple, list)):
        return type(obj)(tree_map(fn, o) for o in obj)
    if isinstance(obj, dict):
        return {k: tree_map(fn, v) for k, v in obj.items()}
    return obj


def leaves(obj) -> list:
    found: list = []
    tree_map(lambda a: found.append(a) or a, obj)
    return found


def flatten_outputs(out) -> list:
    """The outputs of a call as a flat list (tuples, lists and namedtuples opened)."""
    if isinstance(out, (tuple, list)):
        result: list = []
        for o in out:
            result.extend(flatten_outputs(o))
        return result
    return [out]


def resolve_dtypes(obj, xp):
    """Replace strings naming a dtype by ``xp``'s dtype object."""
    if isinstance(obj, str) and obj in DTYPE_NAMES:
        return getattr(xp, obj)
    if isinstance(obj, tuple) and not hasattr(obj, "_fields"):
        return tuple(resolve_dtypes(o, xp) for o in obj)
    if isinstance(obj, list):
        return [resolve_dtypes(o, xp) for o in obj]
    if isinstance(obj, dict):
        return {k: resolve_dtypes(v, xp) for k, v in obj.items()}
    return obj


def default_call(name: str) -> Callable:
    """``call(xp, *args, **kwargs)`` for a namespace function or array method name."""
    if name.startswith("__"):
        def call(xp, *args, **kwargs):
            return getattr(args[0], name)(*args[1:], **kwargs)
    else:
        path = name.split(".")

        def call(xp, *args, **kwargs):
            function = xp
            for part in path:
                function = getattr(function, part)
            return function(*args, **kwargs)
    return call


def _call_for(info: OpInfo) -> Callable:
    return info.call or default_call(info.name)


def has_function(info: OpInfo, xp) -> bool:
    """Whether namespace ``xp`` has ``info``'s function (methods: always assumed)."""
    if info.call is not None or info.name.startswith("__"):
        return True
    obj = xp
    for part in info.name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return False
    return True


# ---------------------------------------------------------------------------
# A prepared case: one sample at one dtype, with its random directions
# ---------------------------------------------------------------------------


def _np_dtype(name: str):
    return np.dtype(name)


def _is_float_array(a) -> bool:
    return isinstance(a, np.ndarray) and a.dtype.kind in "fc"


def _round(values: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``values`` rounded to ``dtype``'s precision, kept in that dtype."""
    if dtype.kind == "c" or np.iscomplexobj(values):
        complex_dtype = dtype if dtype.kind == "c" else np.result_type(dtype, np.complex64)
        return np.asarray(values).astype(complex_dtype)
    return np.asarray(values).astype(dtype)


class Case:
    """One sample converted to one dtype, with cotangents and tangents.

    ``args``/``kwargs`` hold NumPy arrays of the tested dtype (float leaves)
    or their own dtype (integer and boolean leaves).  ``inputs`` are the float
    leaves of ``args``, the differentiable inputs.  ``tangents`` and ``v``
    (for second order) have one array per input.
    """

    def __init__(self, info: OpInfo, dtype: str, index: int, sample: Sample):
        self.info = info
        self.dtype = dtype
        self.index = index
        self.sample = sample
        self.seed = zlib.crc32(f"{info.name}/{dtype}/{index}".encode())
        rng = np.random.default_rng(self.seed)
        target = _np_dtype(dtype)

        def convert(a: np.ndarray) -> np.ndarray:
            if a.dtype.kind not in "fc":
                return a
            if target.kind == "c":
                imag = np.asarray(rng.uniform(-1.0, 1.0, a.shape))
                return np.asarray(a + 1j * imag).astype(target)
            if target.kind in "iu":
                rounded = np.round(a)
                if target.kind == "u":
                    rounded = np.abs(rounded)
                return np.asarray(rounded).astype(target)
            if target.kind == "b":
                return np.asarray(a > 0)
            return a.astype(target)

        self.args = tree_map(convert, tuple(sample.args))
        self.kwargs = tree_map(convert, dict(sample.kwargs))
        self.inputs = [a for a in leaves(self.args) if _is_float_array(a)]
        self.tangents = [self._random(rng, a.shape, a.dtype) for a in self.inputs]
        self.v = [self._random(rng, a.shape, a.dtype) for a in self.inputs]

    @staticmethod
    def _random(rng, shape, dtype: np.dtype) -> np.ndarray:
        values = np.asarray(rng.uniform(-1.0, 1.0, shape))
        if dtype.kind == "c":
            values = values + 1j * rng.uniform(-1.0, 1.0, shape)
        return _round(values, dtype)

    def cotangent(self, position: int, shape: tuple, complex_out: bool) -> np.ndarray:
        """The cotangent of output ``position``: the tested precision, complex if the output is."""
        rng = np.random.default_rng([self.seed, 1000 + position])
        precision = _np_dtype(self.dtype)
        if precision.kind not in "fc":
            precision = np.dtype("float64")
        real = np.dtype("float32") if precision in (np.float32, np.complex64) \
            else np.dtype("float64")
        values = np.asarray(rng.uniform(-1.0, 1.0, shape))
        if complex_out:
            values = values + 1j * rng.uniform(-1.0, 1.0, shape)
        return _round(values, real)

    def describe(self) -> str:
        text = self.sample.describe()
        if self.dtype not in ("float64",):
            text += f"  (as {self.dtype})"
        return text

    def substitute(self, replacements: list, convert_other: Callable, args=None):
        """``(args, kwargs)`` with float inputs replaced in order and other leaves converted."""
        it = iter(replacements)

        def swap_args(a):
            if _is_float_array(a):
                return next(it)
            return convert_other(a)

        new_args = tree_map(swap_args, self.args if args is None else args)
        new_kwargs = tree_map(convert_other, self.kwargs)
        return new_args, new_kwargs


class SampleError(Exception):
    """A special-value sample that does not fit its op (a fault of the table)."""


class SpecialCase(Case):
    """A special-value sample (``OpInfo.edges``) in float64, with its own cotangents.

    ``index`` counts from 1000, so that the session's caches keep special cases
    apart from the drawn ones.
    """

    def __init__(self, info: OpInfo, index: int, sample: Sample):
        super().__init__(info, "float64", 1000 + index, sample)
        self.cotangents_used: dict[int, np.ndarray] = {}

    def cotangent(self, position: int, shape: tuple, complex_out: bool) -> np.ndarray:
        chosen = self._cotangent(position, shape, complex_out)
        self.cotangents_used[position] = chosen
        return chosen

    def _cotangent(self, position: int, shape: tuple, complex_out: bool) -> np.ndarray:
        fixed = self.sample.cotangents
        chosen = fixed[position] if fixed is not None and position < len(fixed) else None
        if chosen is None:
            return super().cotangent(position, shape, complex_out)
        if isinstance(chosen, str):
            if chosen not in ("mixed", "copies"):
                raise SampleError(f"unknown cotangent kind {chosen!r}")
            make = mixed_cotangent if chosen == "mixed" else copies_cotangent
            chosen = make(tuple(shape), self.seed + position)
        chosen = np.asarray(chosen, dtype=np.float64)
        if chosen.shape != tuple(shape):
            raise SampleError(f"the sample's cotangent {position} has shape {chosen.shape}, "
                              f"the output {tuple(shape)}")
        return chosen.astype(np.complex128) if complex_out else chosen


# ---------------------------------------------------------------------------
# Numerics
# ---------------------------------------------------------------------------


def inner(a, b) -> float:
    """``Re(sum(conj(a) * b))`` of NumPy arrays."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.size == 0:
        return 0.0
    return float(np.real(np.vdot(a.ravel().astype(np.complex128),
                                 b.ravel().astype(np.complex128))))


def rel_err(ours, ref) -> float:
    """Normwise relative error of ``ours`` against ``ref`` (inf on shape mismatch)."""
    ours = np.asarray(ours)
    ref = np.asarray(ref)
    if ours.shape != ref.shape:
        return float("inf")
    if ours.size == 0:
        return 0.0
    wide = np.complex128 if (ours.dtype.kind == "c" or ref.dtype.kind == "c") else np.float64
    a = ours.astype(wide)
    b = ref.astype(wide)
    with np.errstate(invalid="ignore", over="ignore"):
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        diff = np.where(same, 0.0, np.abs(a - b))
        if not np.all(np.isfinite(diff)):
            return float("inf")
        finite = np.where(np.isfinite(b), np.abs(b), 0.0)
    scale = max(float(np.max(finite)), SCALE_FLOOR)
    return float(np.max(diff)) / scale


def rtol_of(info: OpInfo, dtype: str) -> float:
    return info.rtol.get(dtype, 1e-9 if dtype in ("float64", "complex128") else 2e-4)


def _fail(message: str):
    raise CheckFailure(message)


def _exception_message(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" (at {last.filename.rpartition('/')[2]}:{last.lineno} in {last.name})"
    return f"{type(exc).__name__}: {exc}{where}"


# ---------------------------------------------------------------------------
# The PyTorch reference (computed once per case, shared by every backend)
# ---------------------------------------------------------------------------


class Reference:
    """PyTorch's values and derivatives for one case, in float64/complex128."""

    def __init__(self, case: Case):
        import torch
        import array_api_compat.torch as torch_xp

        self.case = case
        self.torch = torch
        self.xp = torch_xp
        info = case.info
        self._ref = info.ref
        self._call = _call_for(info)
        self._vjp = None
        self._jvp = None
        self._grad2 = None

    # inputs -----------------------------------------------------------------

    def _tensor(self, a: np.ndarray, requires_grad: bool = False):
        torch = self.torch
        if a.dtype.kind == "c":
            a = a.astype(np.complex128)
        elif a.dtype.kind == "f":
            a = a.astype(np.float64)
        t = torch.from_numpy(np.array(a, copy=True))
        if requires_grad:
            t.requires_grad_(True)
        return t

    def _run(self, inputs: list):
        case = self.case
        args, kwargs = case.substitute(inputs, self._tensor)
        kwargs = resolve_dtypes(kwargs, self.torch)
        args = resolve_dtypes(args, self.torch)
        if self._ref is not None:
            return self._ref(*args, **kwargs)
        return self._call(self.xp, *args, **kwargs)

    # results ----------------------------------------------------------------

    def vjp(self):
        """``(outs, mask, cts, grads, leaves)``: outputs, which are differentiated, cotangents, VJP."""
        if self._vjp is None:
            torch = self.torch
            case = self.case
            inputs = [self._tensor(a, True) for a in case.inputs]
            outs = flatten_outputs(self._run(inputs))
            mask = [isinstance(o, torch.Tensor) and o.requires_grad for o in outs]
            cts = [case.cotangent(i, tuple(o.shape), o.is_complex()) if m else None
                   for i, (o, m) in enumerate(zip(outs, mask))]
            heads = [o for o, m in zip(outs, mask) if m]
            head_cts = [torch.from_numpy(np.array(c, copy=True)).to(o.dtype)
                        for o, c, m in zip(outs, cts, mask) if m]
            if heads and inputs:
                grads = torch.autograd.grad(heads, inputs, head_cts, create_graph=True,
                                            allow_unused=True)
            else:
                grads = [None] * len(inputs)
            grads = [g if g is not None else torch.zeros_like(x) for g, x in zip(grads, inputs)]
            self._vjp = (outs, mask, cts, grads, inputs)
        return self._vjp

    def grad2(self, along: str = "v") -> list:
        """Gradient of ``<v, VJP(ct)>`` with respect to the inputs (``along="t"``: of
        ``<t, VJP(ct)>``, which for real inputs is the Hessian-vector product
        ``d/de VJP(ct)(x + e t)``, the reference of forward-over-reverse)."""
        if self._grad2 is None:
            self._grad2 = {}
        if along not in self._grad2:
            torch = self.torch
            outs, mask, cts, grads, inputs = self.vjp()
            total = None
            for g, v in zip(grads, getattr(self.case, "v" if along == "v" else "tangents")):
                if not g.requires_grad:
                    continue
                term = torch.sum(torch.real(torch.conj(self._tensor(v)) * g)) \
                    if g.is_complex() else torch.sum(self._tensor(v) * g)
                total = term if total is None else total + term
            if total is None:
                second = [None] * len(inputs)
            else:
                second = torch.autograd.grad(total, inputs, allow_unused=True,
                                             retain_graph=True)
            self._grad2[along] = [s if s is not None else torch.zeros_like(x)
                                  for s, x in zip(second, inputs)]
        return self._grad2[along]

    def jvp(self):
        """``(tangents, how)``: ``J t`` per output (``None`` where not differentiated)."""
        if self._jvp is None:
            outs, mask, _, _, _ = self.vjp()
            try:
                self._jvp = (self._forward_ad(mask), "forward-mode AD")
            except Exception as exc:  # no forward formula for some op: double VJP
                if any(a.dtype.kind == "c" for a in self.case.inputs):
                    raise
                self._jvp = (self._double_vjp(), f"double-VJP ({type(exc).__name__} "
                                                 f"in forward-mode AD)")
        return self._jvp

    def _forward_ad(self, mask):
        import torch.autograd.forward_ad as fwAD

        torch = self.torch
        with fwAD.dual_level():
            duals = [fwAD.make_dual(self._tensor(a), self._tensor(t))
                     for a, t in zip(self.case.inputs, self.case.tangents)]
            outs = flatten_outputs(self._run(duals))
            result = []
            for o, m in zip(outs, mask):
                if not m:
                    result.append(None)
                    continue
                t = fwAD.unpack_dual(o).tangent
                result.append(torch.zeros_like(o).detach() if t is None
                              else t.detach().clone())
        return result

    def _double_vjp(self):
        # J t = d/du <J^T u, t>, J^T u being linear in u (real inputs only)
        torch = self.torch
        inputs = [self._tensor(a, True) for a in self.case.inputs]
        outs = flatten_outputs(self._run(inputs))
        result: list = []
        us = []
        for o in outs:
            if isinstance(o, torch.Tensor) and o.requires_grad:
                us.append(torch.zeros_like(o, requires_grad=True))
            else:
                us.append(None)
        heads = [o for o, u in zip(outs, us) if u is not None]
        units = [u for u in us if u is not None]
        grads = torch.autograd.grad(heads, inputs, units, create_graph=True,
                                    allow_unused=True)
        total = sum(torch.sum(g * self._tensor(t)) for g, t in
                    zip(grads, self.case.tangents) if g is not None)
        if not isinstance(total, torch.Tensor) or not total.requires_grad:
            return [torch.zeros_like(o) if u is not None else None for o, u in zip(outs, us)]
        jt = torch.autograd.grad(total, units, allow_unused=True)
        it = iter(jt)
        for o, u in zip(outs, us):
            if u is None:
                result.append(None)
            else:
                value = next(it)
                result.append(torch.zeros_like(o) if value is None else value.detach())
        return result


def torch_numpy(t) -> np.ndarray:
    return t.detach().numpy(force=True)


# ---------------------------------------------------------------------------
# Our side, on one backend
# ---------------------------------------------------------------------------


class Ours:
    """Our namespace's values and derivatives for one case on one backend."""

    def __init__(self, case: Case, target, reference: Reference):
        self.case = case
        self.target = target
        self.ns = target.ns
        self.reference = reference
        self._call = _call_for(case.info)
        self._vjp = None

    def wrap(self, a: np.ndarray) -> Array:
        return self.ns.asarray(self.target.asarray(a))

    def run(self, inputs: list, ns=None, convert: Callable | None = None):
        ns = ns or self.ns
        convert = convert or self.wrap
        args, kwargs = self.case.substitute(inputs, convert)
        args = resolve_dtypes(args, ns)
        kwargs = resolve_dtypes(kwargs, ns)
        return self._call(ns, *args, **kwargs)

    def cotangent(self, c: np.ndarray, out: Array) -> Array:
        """The head cotangent ``c`` for output ``out``, in ``out``'s dtype and shape.

        Where ``out`` has sizes unknown until computed (Dask's ``nan`` after a
        boolean mask), ``c`` is given the same unknown sizes, by selecting all
        of it along those axes with an all-true mask, as the tape requires a
        head gradient of its output's shape.
        """
        raw = self.target.asarray(c)
        xp = self.target.xp
        for d, n in enumerate(out.shape):
            if not isinstance(n, int):
                kwargs = {} if self.target.device is None else {"device": self.target.device}
                everything = xp.ones((c.shape[d],), dtype=xp.bool, **kwargs)
                raw = raw[(slice(None),) * d + (everything, Ellipsis)]
        return self.ns.astype(self.ns.asarray(raw), out.dtype)

    def stacked_cotangent(self, cs: list, out: Array) -> Array:
        """Head cotangents ``cs`` stacked on a new leading axis (the physical array of
        a batched cotangent for ``out``), one backend array (one Dask chunk), with
        ``out``'s unknown sizes as in :meth:`cotangent`."""
        raw = self.target.asarray(np.stack(cs))
        xp = self.target.xp
        for d, n in enumerate(out.shape):
            if not isinstance(n, int):
                kwargs = {} if self.target.device is None else {"device": self.target.device}
                everything = xp.ones((cs[0].shape[d],), dtype=xp.bool, **kwargs)
                raw = raw[(slice(None),) * (d + 1) + (everything, Ellipsis)]
        return self.ns.astype(self.ns.asarray(raw), out.dtype)

    def shape(self, a: Array) -> tuple:
        """``a``'s shape; sizes unknown until computed (Dask's ``nan``) are computed."""
        shape = tuple(a.shape)
        if all(isinstance(n, int) for n in shape):
            return shape
        return self.numpy(a).shape

    def numpy(self, a) -> np.ndarray:
        if isinstance(a, Array):
            return self.target.to_numpy(a._data)
        return self.target.to_numpy(a)

    def vjp(self):
        """``(outs, grads, inputs)`` with the reference's cotangents on the reference's outputs."""
        if self._vjp is None:
            ref_outs, mask, cts, _, _ = self.reference.vjp()
            inputs = [self.wrap(a) for a in self.case.inputs]
            for x in inputs:
                x.requires_grad_(True)
            outs = flatten_outputs(self.run(inputs))
            if len(outs) != len(ref_outs):
                _fail(f"returns {len(outs)} output(s), the PyTorch reference "
                      f"{len(ref_outs)}")
            heads, head_cts = [], []
            for i, (o, m, c) in enumerate(zip(outs, mask, cts)):
                if not m or not isinstance(o, Array) or not o.requires_grad:
                    continue
                shape = self.shape(o)
                if shape != tuple(ref_outs[i].shape):
                    _fail(f"output {i} has shape {shape}, PyTorch's "
                          f"{tuple(ref_outs[i].shape)}")
                heads.append(o)
                head_cts.append(self.cotangent(c, o))
            if heads and inputs:
                grads = autograd.grad(heads, inputs, head_cts, create_graph=True,
                                      allow_unused=True)
            else:
                grads = [None] * len(inputs)
            grads = [g if g is not None else self.ns.zeros_like(x.detach())
                     for g, x in zip(grads, inputs)]
            self._vjp = (outs, grads, inputs)
        return self._vjp


# ---------------------------------------------------------------------------
# The checks: each raises CheckFailure, or returns (error, notes)
# ---------------------------------------------------------------------------


def _compare_values(label: str, ours: np.ndarray, ref: np.ndarray, rtol: float) -> float:
    err = rel_err(ours, ref)
    if not err <= rtol:
        _fail(f"{label}: relative error {err:.3g} > rtol {rtol:.3g}\n"
              f"    ours: {np.array2string(np.asarray(ours).ravel()[:6], precision=6)}\n"
              f"    ref:  {np.array2string(np.asarray(ref).ravel()[:6], precision=6)}")
    return err


def check_forward(session: "Session", case: Case, target) -> float:
    ours = session.ours(case, target)
    raw_out = flatten_outputs(ours.run([target.asarray(a) for a in case.inputs],
                                       ns=target.xp, convert=target.asarray))
    our_out = flatten_outputs(ours.run([ours.wrap(a) for a in case.inputs]))
    if len(raw_out) != len(our_out):
        _fail(f"returns {len(our_out)} output(s), the backend's function {len(raw_out)}")
    worst = 0.0
    for i, (o, r) in enumerate(zip(our_out, raw_out)):
        if not hasattr(r, "dtype") or not hasattr(r, "shape"):
            if isinstance(o, Array) or o != r:
                _fail(f"output {i}: {o!r} differs from the backend's {r!r}")
            continue
        if not isinstance(o, Array):
            _fail(f"output {i} is a {type(o).__name__}, not a wrapped array")
        if o.dtype != r.dtype:
            _fail(f"output {i} has dtype {o.dtype}, the backend's function {r.dtype}")
        if not same_shape(tuple(o.shape), tuple(r.shape)):
            _fail(f"output {i} has shape {tuple(o.shape)}, the backend's {tuple(r.shape)}")
        a, b = ours.numpy(o), target.to_numpy(r)
        if np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"):
            continue
        eps = float(np.finfo(a.dtype).eps) if a.dtype.kind in "fc" else 0.0
        worst = max(worst, _compare_values(f"output {i} value", a, b, 8 * eps))
    return worst


def check_vjp(session, case, target) -> float:
    rtol = rtol_of(case.info, case.dtype)
    ref = session.reference(case)
    ref_outs, mask, _, ref_grads, _ = ref.vjp()
    ours = session.ours(case, target)
    outs, grads, inputs = ours.vjp()
    worst = 0.0
    for i, (o, r, m) in enumerate(zip(outs, ref_outs, mask)):
        if not m:
            continue
        if not isinstance(o, Array):
            _fail(f"output {i} is not an array but PyTorch's is differentiable")
        worst = max(worst, _compare_values(f"output {i} value (vs PyTorch)",
                                           ours.numpy(o), torch_numpy(r), rtol))
        if not o.requires_grad:
            _fail(f"output {i} is not recorded, but PyTorch differentiates it")
    for i, (g, x, r) in enumerate(zip(grads, inputs, ref_grads)):
        if ours.shape(g) != ours.shape(x):
            _fail(f"gradient of input {i} has shape {ours.shape(g)}, the input {ours.shape(x)}")
        if g.dtype != x.dtype:
            _fail(f"gradient of input {i} has dtype {g.dtype}, the input {x.dtype}")
        worst = max(worst, _compare_values(f"VJP of input {i} (vs torch.autograd)",
                                           ours.numpy(g), torch_numpy(r), rtol))
    return worst


def check_grad2(session, case, target) -> float:
    rtol = rtol_of(case.info, case.dtype)
    ref_second = session.reference(case).grad2()
    ours = session.ours(case, target)
    outs, grads, inputs = ours.vjp()
    ns = target.ns
    total = None
    for g, v in zip(grads, case.v):
        if not g.requires_grad:
            continue
        term = ns.sum(ns.real(ns.conj(ours.wrap(v)) * g)) \
            if ns._is_complex_dtype(g.dtype) else ns.sum(ours.wrap(v) * g)
        total = term if total is None else total + term
    if total is None or not total.requires_grad:
        second = [None] * len(inputs)
    else:
        second = autograd.grad(total, inputs, allow_unused=True, retain_graph=True)
    worst = 0.0
    for i, (s, x, r) in enumerate(zip(second, inputs, ref_second)):
        value = np.zeros(x.shape, dtype=case.inputs[i].dtype) if s is None else ours.numpy(s)
        worst = max(worst, _compare_values(f"second derivative d<v, VJP>/d(input {i}) "
                                           f"(vs torch.autograd)", value, torch_numpy(r), rtol))
    if not any(a.dtype.kind == "c" for a in case.inputs):
        worst = max(worst, _forward_over_reverse(session, case, target, ours, rtol))
    return worst


def _forward_over_reverse(session, case, target, ours, rtol) -> float:
    """The JVP (along ``t``) of the VJP function ``x -> J(x)^T ct``: a Hessian-vector
    product, equal for real inputs to PyTorch's ``d<t, VJP(ct)>/dx`` (symmetry)."""
    ref_outs, mask, cts, _, _ = session.reference(case).vjp()
    expected = session.reference(case).grad2("t")
    with dual_level() as level:
        inputs = []
        for a, t in zip(case.inputs, case.tangents):
            x = ours.wrap(a)
            x.requires_grad_(True)
            inputs.append(make_dual(x, ours.wrap(t), level))
        outs = flatten_outputs(ours.run(inputs))
        heads, head_cts = [], []
        for o, m, c in zip(outs, mask, cts):
            if m and isinstance(o, Array) and o.requires_grad:
                heads.append(o)
                head_cts.append(ours.cotangent(c, o))
        grads = autograd.grad(heads, inputs, head_cts, create_graph=True,
                              allow_unused=True) if heads else [None] * len(inputs)
        tangents = [None if g is None else unpack_dual(g, level)[1] for g in grads]
    worst = 0.0
    for i, (t, r, a) in enumerate(zip(tangents, expected, case.inputs)):
        value = np.zeros(a.shape, dtype=a.dtype) if t is None else ours.numpy(t)
        worst = max(worst, _compare_values(
            f"forward-over-reverse: JVP of the VJP for input {i} (vs torch.autograd "
            f"Hessian-vector product)", value, torch_numpy(r), rtol))
    return worst


def _our_jvp(ours: Ours, case: Case) -> list:
    with dual_level() as level:
        duals = [make_dual(ours.wrap(a), ours.wrap(t), level)
                 for a, t in zip(case.inputs, case.tangents)]
        outs = flatten_outputs(ours.run(duals))
        result = []
        for o in outs:
            if isinstance(o, Array) and ours.ns._is_float_dtype(o.dtype):
                result.append(unpack_dual(o, level)[1])
            else:
                result.append(None)
    return result


def check_jvp(session, case, target) -> tuple[float, list]:
    rtol = rtol_of(case.info, case.dtype)
    notes = []
    ref = session.reference(case)
    ref_outs, mask, cts, _, _ = ref.vjp()
    ours = session.ours(case, target)
    _, grads, _ = ours.vjp()
    jt = _our_jvp(ours, case)
    if len(jt) != len(ref_outs):
        _fail(f"returns {len(jt)} output(s) in forward mode, PyTorch {len(ref_outs)}")
    try:
        ref_jt, how = ref.jvp()
    except Exception as exc:
        ref_jt, how = None, None
        notes.append(f"no PyTorch JVP ({type(exc).__name__}); identity checked only")
    worst = 0.0
    lhs, scale = 0.0, 0.0
    for i, (t, m, c) in enumerate(zip(jt, mask, cts)):
        if not m:
            continue
        if t is None:
            _fail(f"output {i} carries no tangent, but PyTorch differentiates it")
        value = ours.numpy(t)
        if ref_jt is not None:
            worst = max(worst, _compare_values(f"JVP of output {i} (vs PyTorch {how})",
                                               value, torch_numpy(ref_jt[i]), rtol))
        lhs += inner(c, value)
        scale += float(np.sum(np.abs(c) * np.abs(value)))
    rhs = 0.0
    for g, t in zip(grads, case.tangents):
        value = ours.numpy(g)
        rhs += inner(value, t)
        scale += float(np.sum(np.abs(value) * np.abs(t)))
    if scale > 0:
        err = abs(lhs - rhs) / scale
        if not err <= rtol:
            _fail(f"<ct, J t> = {lhs:.10g} but <J^T ct, t> = {rhs:.10g} "
                  f"(relative {err:.3g} > rtol {rtol:.3g})")
    return worst, notes


BATCH = 3


def check_batched(session, case, target) -> tuple[float, list]:
    rtol = rtol_of(case.info, case.dtype)
    ref_outs, mask, _, _, _ = session.reference(case).vjp()
    ours = session.ours(case, target)
    ns = target.ns
    looped_before = dict(_batching.fallbacks)
    worst = 0.0

    def compare(label, batched, singles, like):
        nonlocal worst
        if batched is None and all(single is None for single in singles):
            return
        # one conversion of the whole stack (one compute on Dask)
        rows = None if batched is None else ours.numpy(_batching.materialize(batched, BATCH))
        zeros = None
        for k, single in enumerate(singles):
            if rows is None or single is None:
                zeros = np.zeros(ours.shape(like), dtype=ours.numpy(like).dtype)
            a = zeros if rows is None else rows[k]
            b = zeros if single is None else ours.numpy(single)
            worst = max(worst, _compare_values(f"{label}, row {k} of {BATCH} (vs one at a "
                                               f"time)", a, b, rtol))

    # reverse mode: BATCH cotangents per output in one backward pass
    inputs = [ours.wrap(a) for a in case.inputs]
    for x in inputs:
        x.requires_grad_(True)
    outs = flatten_outputs(ours.run(inputs))
    heads, rows, rows_np = [], [], []
    for i, (o, m) in enumerate(zip(outs, mask)):
        if m and isinstance(o, Array) and o.requires_grad:
            shape = tuple(ref_outs[i].shape)
            complex_out = ns._is_complex_dtype(o.dtype)
            heads.append(o)
            rows_np.append([case.cotangent(100 * (k + 1) + i, shape, complex_out)
                            for k in range(BATCH)])
            rows.append([ours.cotangent(c, o) for c in rows_np[-1]])
    if heads and inputs:
        level = _batching.new_level()
        stacked = [BatchedArray(ours.stacked_cotangent(c, o), level)
                   for c, o in zip(rows_np, heads)]
        batched = _tape.backward(heads, stacked, retain_graph=True, create_graph=False,
                                 targets=inputs, write_leaves=False)
        singles = [_tape.backward(heads, [r[k] for r in rows], retain_graph=True,
                                  create_graph=False, targets=inputs, write_leaves=False)
                   for k in range(BATCH)]
        for j, x in enumerate(inputs):
            compare(f"batched VJP of input {j}", batched[j], [s[j] for s in singles], x)

    # forward mode: BATCH tangents per input in one forward pass
    rng = np.random.default_rng([case.seed, 7])
    tangents = [[Case._random(rng, a.shape, a.dtype) for _ in range(BATCH)]
                for a in case.inputs]
    level = _batching.new_level()
    with dual_level() as dual:
        duals = [make_dual(ours.wrap(a), BatchedArray(ours.wrap(np.stack(ts)), level), dual)
                 for a, ts in zip(case.inputs, tangents)]
        batched = [unpack_dual(o, dual)[1] if isinstance(o, Array) and
                   ns._is_float_dtype(o.dtype) else None
                   for o in flatten_outputs(ours.run(duals))]
    singles = []
    for k in range(BATCH):
        with dual_level() as dual:
            duals = [make_dual(ours.wrap(a), ours.wrap(ts[k]), dual)
                     for a, ts in zip(case.inputs, tangents)]
            singles.append([unpack_dual(o, dual)[1] if isinstance(o, Array) and
                            ns._is_float_dtype(o.dtype) else None
                            for o in flatten_outputs(ours.run(duals))])
    for i, (o, m) in enumerate(zip(outs, mask)):
        if m and isinstance(o, Array):
            compare(f"batched JVP of output {i}", batched[i], [s[i] for s in singles], o)

    looped = sorted(name for name, n in _batching.fallbacks.items()
                    if n > looped_before.get(name, 0))
    notes = [f"looped over the batch (no batching rule): {', '.join(looped)}"] if looped else []
    return worst, notes


def check_fd(session, case, target) -> float:
    rtol = max(rtol_of(case.info, case.dtype), FD_RTOL)
    ref_outs, mask, cts, _, _ = session.reference(case).vjp()
    ours = session.ours(case, target)
    _, grads, _ = ours.vjp()
    plus = flatten_outputs(ours.run([ours.wrap(np.asarray(a + FD_EPS * t)) for a, t in
                                     zip(case.inputs, case.tangents)]))
    minus = flatten_outputs(ours.run([ours.wrap(np.asarray(a - FD_EPS * t)) for a, t in
                                      zip(case.inputs, case.tangents)]))
    lhs, scale = 0.0, 0.0
    for p, q, m, c in zip(plus, minus, mask, cts):
        if not m:
            continue
        slope = (ours.numpy(p).astype(np.complex128) - ours.numpy(q)) / (2 * FD_EPS)
        if np.iscomplexobj(slope) and not np.iscomplexobj(c):
            slope = np.real(slope)
        lhs += inner(c, slope)
        scale += float(np.sum(np.abs(c) * np.abs(slope)))
    rhs = 0.0
    for g, t in zip(grads, case.tangents):
        value = ours.numpy(g)
        rhs += inner(value, t)
        scale += float(np.sum(np.abs(value) * np.abs(t)))
    err = abs(lhs - rhs) / max(scale, SCALE_FLOOR)
    if not err <= rtol:
        _fail(f"finite differences <ct, (f(x+eps t) - f(x-eps t))/(2 eps)> = {lhs:.10g} "
              f"but <VJP(ct), t> = {rhs:.10g} (relative {err:.3g} > {rtol:.3g}, "
              f"eps={FD_EPS})")
    return err


def check_backends(session, case, target, baseline) -> float:
    rtol = rtol_of(case.info, case.dtype) if is_float_name(case.dtype) else 0.0
    worst = 0.0
    notes = []
    results = []
    failures = []
    for t in (target, baseline):
        ours = session.ours(case, t)
        outs = flatten_outputs(ours.run([ours.wrap(a) for a in case.inputs]))
        grads = None
        if case.info.differentiable and is_float_name(case.dtype) and case.inputs:
            try:
                _, grads, _ = ours.vjp()
            except Exception as exc:  # compared below: the same failure on both is no news
                failures.append(f"{type(exc).__name__}")
        results.append(([ours.numpy(o) if isinstance(o, Array) else o for o in outs],
                         None if grads is None else [ours.numpy(g) for g in grads]))
    (outs_a, grads_a), (outs_b, grads_b) = results
    if len(outs_a) != len(outs_b):
        _fail(f"{len(outs_a)} output(s) here, {len(outs_b)} on {baseline.name}")
    for i, (a, b) in enumerate(zip(outs_a, outs_b)):
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
            # dtypes may differ where the backends' default dtypes do (the forward
            # check holds each backend to its own function)
            tol = max(rtol, 8 * _eps(a.dtype), 8 * _eps(b.dtype))
            worst = max(worst, _compare_values(f"output {i} (vs {baseline.name})", a, b, tol))
        elif a != b and not (a is None and b is None):
            _fail(f"output {i}: {a!r} here, {b!r} on {baseline.name}")
    if (grads_a is None) != (grads_b is None):
        _fail(f"the VJP raised on {target.name if grads_a is None else baseline.name} only "
              f"({failures[0]})")
    if grads_a is None:
        if failures:
            notes.append(f"gradients not compared: the VJP raises {failures[0]} on both")
        return worst, notes
    for i, (a, b) in enumerate(zip(grads_a, grads_b)):
        worst = max(worst, _compare_values(f"VJP of input {i} (vs {baseline.name})", a, b,
                                           rtol))
    return worst, notes


def _eps(dtype) -> float:
    return float(np.finfo(dtype).eps) if np.dtype(dtype).kind in "fc" else 0.0


def check_not_recorded(session, case, target) -> float:
    ours = session.ours(case, target)
    inputs = [ours.wrap(a) for a in case.inputs]
    for x in inputs:
        x.requires_grad_(True)
    outs = flatten_outputs(ours.run(inputs))
    for i, o in enumerate(outs):
        if isinstance(o, Array) and (o.requires_grad or not o.is_leaf):
            _fail(f"output {i} was recorded (requires_grad=True) although the op is "
                  f"not differentiable")
    if inputs:
        with dual_level() as level:
            duals = [make_dual(ours.wrap(a), ours.wrap(t), level)
                     for a, t in zip(case.inputs, case.tangents)]
            outs = flatten_outputs(ours.run(duals))
            for i, o in enumerate(outs):
                if isinstance(o, Array) and o._tangents:
                    _fail(f"output {i} carries a forward-mode tangent although the op is "
                          f"not differentiable")
    return 0.0


_CHECK_FUNCTIONS = {
    "forward": check_forward,
    "vjp": check_vjp,
    "grad2": check_grad2,
    "jvp": check_jvp,
    "fd": check_fd,
    "batched": check_batched,
    "not_recorded": check_not_recorded,
}


# ---------------------------------------------------------------------------
# Special values: every entry against PyTorch, or a documented difference
# ---------------------------------------------------------------------------

SPECIAL_RTOL = 1e-9


def differing(ours, ref, rtol: float) -> np.ndarray | None:
    """Entries where ``ours`` and ``ref`` differ (``None``: the shapes differ).

    NaN equals NaN, an infinity the same infinity, finite values agree within
    ``rtol`` relative to ``max(1, |ref|)``; zeros' signs are not compared;
    complex numbers part by part; integers and booleans exactly.
    """
    a, b = np.asarray(ours), np.asarray(ref)
    if a.shape != b.shape:
        return None
    if a.dtype.kind == "c" or b.dtype.kind == "c":
        return differing(np.real(a), np.real(b), rtol) | differing(np.imag(a), np.imag(b), rtol)
    if a.dtype.kind not in "fc" and b.dtype.kind not in "fc":
        return a != b
    a, b = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        same = (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b))
        finite = np.isfinite(a) & np.isfinite(b)
        close = finite & (np.abs(a - b) <= rtol * np.maximum(1.0, np.abs(b)))
    return ~(same | close)


def _first(values: np.ndarray, where: np.ndarray, count: int = 4) -> str:
    picked = np.asarray(values)[where].ravel()[:count]
    return np.array2string(picked, precision=6, separator=", ")


def _evidence(case: Case, part: str, index: int, ours, ref, where: np.ndarray) -> str:
    """``N entries, at (i, j), ...: ours ..., torch ... (inputs ...; cotangent ...)`` for
    the first few entries of ``where`` (inputs and cotangent when they have its shape)."""
    text = f"ours {_first(ours, where)}, torch {_first(ref, where)}"
    if where.ndim:
        places = [tuple(int(i) for i in p) if where.ndim > 1 else int(p[0])
                  for p in np.argwhere(where)[:4]]
        text = f"at {', '.join(str(p) for p in places)}: {text}"
    inputs = [a for a in case.inputs if a.shape == where.shape]
    if inputs and len(inputs) == len(case.inputs) and where.ndim == 1:
        at = ", ".join(_first(a, where) for a in inputs)
        ct = getattr(case, "cotangents_used", {}).get(0)
        if ct is not None and ct.shape == where.shape:
            at += f"; cotangent {_first(ct, where)}"
        text = f"{text} (inputs {at})"
    count = int(np.count_nonzero(where))
    return f"{count} entr{'y' if count == 1 else 'ies'}, {text}"


def _special_side(run: Callable):
    """What ``run`` returns, or the exception it raised (a result here: compared with
    the other side's)."""
    try:
        with np.errstate(all="ignore"):
            return run()
    except SampleError:
        raise
    except Exception as exc:
        return exc


def _numpy_outputs(outs, convert: Callable) -> list:
    return [convert(o) if hasattr(o, "shape") and hasattr(o, "dtype") else o
            for o in flatten_outputs(outs)]


def _reference_special(session, case: Case) -> tuple:
    """PyTorch's ``(values, gradients)`` for a special-value case, each a list of NumPy
    arrays or the exception raised.  The gradients are ``(first, created, mask)``: as
    ``backward()`` gives them and with ``create_graph=True`` (at special values PyTorch
    sometimes computes the two by different formulas: ``prod``, ``cumprod``; ours may
    agree with either), and which outputs PyTorch differentiates."""
    ref = session.reference(case)
    torch = ref.torch
    values = _special_side(lambda: _numpy_outputs(
        ref._run([ref._tensor(a) for a in case.inputs]), torch_numpy))

    def gradients():
        outs, mask, cts, created, inputs = ref.vjp()
        heads = [o for o, m in zip(outs, mask) if m]
        first = [torch_numpy(g) for g in created]
        if heads and inputs:
            head_cts = [torch.from_numpy(np.array(c, copy=True)).to(o.dtype)
                        for o, c, m in zip(outs, cts, mask) if m]
            plain = torch.autograd.grad(heads, inputs, head_cts, retain_graph=True,
                                        allow_unused=True)
            first = [np.zeros(tuple(x.shape)) if g is None else torch_numpy(g)
                     for g, x in zip(plain, inputs)]
        return first, [torch_numpy(g) for g in created], mask
    return values, _special_side(gradients)


def _ours_special(session, case: Case, target, mask) -> tuple:
    """Our ``(values, gradients)`` on one backend, as :func:`_reference_special`; the
    gradient (``backward()``'s) is taken of the outputs PyTorch differentiates (``mask``,
    or every float output where PyTorch's backward raised)."""
    ours = session.ours(case, target)
    values = _special_side(lambda: _numpy_outputs(
        ours.run([ours.wrap(a) for a in case.inputs]), ours.numpy))

    def gradients():
        inputs = [ours.wrap(a) for a in case.inputs]
        for x in inputs:
            x.requires_grad_(True)
        outs = flatten_outputs(ours.run(inputs))
        heads, cts = [], []
        for i, o in enumerate(outs):
            wanted = mask[i] if mask is not None and i < len(mask) else \
                isinstance(o, Array) and ours.ns._is_float_dtype(o.dtype)
            if wanted and isinstance(o, Array) and o.requires_grad:
                heads.append(o)
                cts.append(ours.cotangent(case.cotangent(
                    i, ours.shape(o), ours.ns._is_complex_dtype(o.dtype)), o))
        grads = autograd.grad(heads, inputs, cts, allow_unused=True) if heads and inputs \
            else [None] * len(inputs)
        return [np.zeros(a.shape) if g is None else ours.numpy(g)
                for g, a in zip(grads, case.inputs)]
    return values, _special_side(gradients)


def check_special(session, info: OpInfo, target) -> Outcome:
    """The ``special`` check of one record on one backend (see the module docstring)."""
    try:
        return _check_special(session, info, target)
    except SampleError as exc:
        return Outcome(info.name, target.name, "float64", "special", "fail",
                       f"a special-value sample does not fit the op: {exc}")


def _raised(stage: str, ours, ref) -> str:
    which, error = ("ours", ours) if isinstance(ours, Exception) else ("torch", ref)
    message = str(error).splitlines()[0][:200] if str(error) else ""
    return f"{stage}: only {which} raises {type(error).__name__}: {message}"


def _both_raised(stage: str, ours, ref) -> str:
    return (f"{stage}: ours raises {type(ours).__name__}: {str(ours).splitlines()[0][:160]}; "
            f"torch {type(ref).__name__}: {str(ref).splitlines()[0][:160]}")


def _finite_error(ours, ref) -> float:
    """The largest ``|ours - ref| / max(1, |ref|)`` over entries finite on both sides."""
    a, b = np.asarray(ours), np.asarray(ref)
    if a.shape != b.shape or a.dtype.kind not in "fc" or not a.size:
        return 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        both = np.isfinite(a) & np.isfinite(b)
        if not both.any():
            return 0.0
        return float(np.max(np.abs(a[both] - b[both]) / np.maximum(1.0, np.abs(b[both]))))


def _compare_special(info: OpInfo, case: Case, ours_side, ref_side, details: list,
                     errors: list) -> list:
    """The differences of one case: ``(part, index, mask or None, ours or text, ref)``;
    the error over the entries that agree is appended to ``errors``."""
    (our_values, our_grads), (ref_values, ref_grads) = ours_side, ref_side
    label = case.sample.label
    rtol = max(SPECIAL_RTOL, rtol_of(info, "float64"))
    found: list[tuple] = []
    for stage, ours, ref in (("forward", our_values, ref_values),
                             ("backward", our_grads, ref_grads)):
        if isinstance(ours, Exception) and isinstance(ref, Exception):
            details.append({"difference": None, "status": "both raise",
                            "evidence": [f"[{label}] {_both_raised(stage, ours, ref)}"]})
            if stage == "forward":
                return found
            continue
        if isinstance(ours, Exception) or isinstance(ref, Exception):
            found.append(("raises", None, None, _raised(stage, ours, ref), None))
            if stage == "forward":
                return found
            continue
        if stage == "forward":
            if len(ours) != len(ref):
                found.append(("value", None, None, f"{len(ours)} outputs, torch {len(ref)}",
                              None))
            pairs = [("value", i, o, r, None) for i, (o, r) in enumerate(zip(ours, ref))
                     if hasattr(r, "shape") or hasattr(o, "shape")]
        else:
            first, created, _ = ref
            pairs = [("grad", j, g, r, c) for j, (g, r, c) in
                     enumerate(zip(ours, first, created))]
        for part, index, o, r, other in pairs:
            where = differing(o, r, rtol)
            error = _finite_error(o, r)
            if where is not None and other is not None:  # or as with create_graph=True
                second = differing(o, other, rtol)
                where = None if second is None else where & second
                error = min(error, _finite_error(o, other))
            errors.append(error)
            if where is None:
                found.append((part, index, None,
                              f"shape {np.shape(o)}, torch {np.shape(r)}", None))
            elif where.any():
                found.append((part, index, where, o, r))
    return found


def _check_special(session, info: OpInfo, target) -> Outcome:
    outcome = Outcome(info.name, target.name, "float64", "special", "pass")
    backend = target.name
    cases = session.special_cases(info)
    undocumented: list[str] = []
    observed: dict[str, list] = {}
    applicable: dict[str, special_values.Difference] = {}
    agreeing = rejected = 0
    errors: list[float] = []
    for case in cases:
        label = case.sample.label
        for d in special_values.DIFFERENCES:
            if d.applies(info.name, label, d.part, d.index, backend):
                applicable.setdefault(d.key, d)
        ref_values, ref_grads = session.special_reference(case)
        # as in the other checks, a sample the backend's own function refuses is skipped
        # (its limits are not ours), unless PyTorch refuses it too: then ours must raise
        with np.errstate(all="ignore"):
            rejection = None if isinstance(ref_values, Exception) else \
                session.backend_rejects(case, target)
        if rejection is not None:
            outcome.details.append({"difference": None, "status": "rejected", "evidence": [
                f"[{label}] the backend's own function raises {rejection[:200]}"]})
            rejected += 1
            continue
        mask = None if isinstance(ref_grads, Exception) else ref_grads[2]
        ours_side = _ours_special(session, case, target, mask)
        differences = _compare_special(info, case, ours_side, (ref_values, ref_grads),
                                       outcome.details, errors)
        if not differences:
            agreeing += 1
            continue
        ct = case.cotangents_used.get(0)
        for part, index, where, o, r in differences:
            point = special_values.Point(
                tuple(case.inputs), tuple(case.args), dict(case.kwargs), ct,
                part, -1 if index is None else index,
                () if isinstance(ref_values, Exception) else tuple(ref_values))
            found = special_values.matching(info.name, label, part, index, backend)
            place = f"[{label}] {part}" + ("" if index is None else f" {index}")
            if where is None:  # raised on one side, or a shape: no entries to tell apart
                if found:
                    observed.setdefault(found[0].key, []).append(f"{place}: {o}")
                else:
                    undocumented.append(f"{place}: {o}")
                continue
            covered = np.zeros(where.shape, dtype=bool)
            for d in found:
                hit = where & d.mask(point, where.shape)
                if hit.any():
                    observed.setdefault(d.key, []).append(
                        f"{place}: {_evidence(case, part, index, o, r, hit)}")
                covered |= hit
            rest = where & ~covered
            if rest.any():
                undocumented.append(f"{place}: {_evidence(case, part, index, o, r, rest)}")
    outcome.examples = len(cases)
    outcome.error = max(errors, default=0.0)
    if cases and rejected == len(cases):
        outcome.status = "skip"
        outcome.message = "the backend's own function rejects every special-value sample"
        return outcome
    for key, evidence in observed.items():
        outcome.details.append({"difference": key, "status": "observed", "evidence": evidence})
    stale = [d for key, d in applicable.items() if key not in observed]
    for d in stale:
        outcome.details.append({"difference": d.key, "status": "fixed" if d.kind == "pending"
                                else "not observed", "evidence": []})
    for text in undocumented:
        outcome.details.append({"difference": None, "status": "undocumented",
                                "evidence": [text]})
    if undocumented:
        outcome.status = "fail"
        outcome.message = (f"{len(undocumented)} undocumented difference(s) from PyTorch at "
                           f"special values (list them in special_values.py or fix them):\n"
                           + "\n".join(f"    {u}" for u in undocumented[:6]))
        return outcome
    missing = [d for d in stale if d.kind != "pending"]
    if missing:
        outcome.status = "xpass"
        outcome.message = ("documented difference(s) did not occur: "
                           + "; ".join(d.key for d in missing))
        return outcome
    outcome.message = f"{agreeing} of {len(cases) - rejected} sample(s) agree with PyTorch"
    if rejected:
        outcome.message += f" ({rejected} rejected by the backend's own function)"
    if observed:
        outcome.status = "documented"
        outcome.message += f"; documented: {', '.join(observed)}"
    return outcome


# ---------------------------------------------------------------------------
# The session: samples and results cached across checks and backends
# ---------------------------------------------------------------------------


class Session:
    """Runs checks, sharing samples, references and our results between them.

    Parameters
    ----------
    targets : list
        Loaded backends (:class:`~conformance_tests.backends.Target`); the
        first available one is the baseline of the ``backends`` check.
    max_examples : int
        Hypothesis examples per record (shared by every backend and dtype).
    dtypes : list of str, optional
        Dtypes asked for by name: they are checked even on backends that skip
        them by default (``Target.skipped_dtypes``).
    """

    def __init__(self, targets: list, max_examples: int = 5, dtypes=None):
        self.targets = targets
        self.max_examples = max_examples
        self.dtypes = tuple(dtypes or ())
        available = [t for t in targets if t.available]
        self.baseline = available[0] if available else None
        self._op: str | None = None
        self._cache: dict = {}

    def _scope(self, info: OpInfo) -> dict:
        if self._op != info.name:  # keep one op's results at a time
            self._op = info.name
            self._cache = {}
        return self._cache

    def samples(self, info: OpInfo) -> list[Sample]:
        cache = self._scope(info)
        if "samples" not in cache:
            try:
                cache["samples"] = draw_samples(info, self.max_examples)
            except Exception as exc:
                cache["samples"] = exc
        result = cache["samples"]
        if isinstance(result, Exception):
            raise CheckFailure(f"drawing samples failed: {_exception_message(result)}")
        return result

    def cases(self, info: OpInfo, dtype: str) -> list[Case]:
        cache = self._scope(info)
        key = ("cases", dtype)
        if key not in cache:
            cache[key] = [Case(info, dtype, i, s) for i, s in enumerate(self.samples(info))]
        return cache[key]

    def special_cases(self, info: OpInfo) -> list:
        cache = self._scope(info)
        if "special" not in cache:
            cache["special"] = [SpecialCase(info, i, sample)
                                for i, sample in enumerate(info.edge_samples())]
        return cache["special"]

    def special_reference(self, case: Case):
        cache = self._scope(case.info)
        key = ("special-ref", case.index)
        if key not in cache:
            cache[key] = _reference_special(self, case)
        return cache[key]

    def reference(self, case: Case) -> Reference:
        cache = self._scope(case.info)
        key = ("ref", case.dtype, case.index)
        if key not in cache:
            cache[key] = Reference(case)
        return cache[key]

    def ours(self, case: Case, target) -> Ours:
        cache = self._scope(case.info)
        key = ("ours", target.name, case.dtype, case.index)
        if key not in cache:
            cache[key] = Ours(case, target, self.reference(case))
        return cache[key]

    def run(self, info: OpInfo, target, dtype: str, check: str,
            apply_xfail: bool = True) -> Outcome:
        """Run one check over all samples; never raises."""
        outcome = Outcome(info.name, target.name, dtype, check, "pass")
        try:
            skip = self._skip_reason(info, target, dtype, check)
            if skip:
                outcome.status, outcome.message = "skip", skip
                return outcome
            if check == "special":
                return self._special(info, target)
            cases = self.cases(info, dtype)
            worst = 0.0
            rejected = []
            for case in cases:
                rejection = self.backend_rejects(case, target)
                if rejection is not None:
                    rejected.append(rejection)
                    continue
                outcome.sample = case.describe()
                try:
                    result = self._one(check, case, target)
                except CheckFailure as exc:
                    outcome.status, outcome.message = "fail", str(exc)
                    break
                except Exception as exc:
                    outcome.status = "fail"
                    outcome.message = f"raised {_exception_message(exc)}"
                    break
                if isinstance(result, tuple):
                    result, notes = result
                    for n in notes:
                        if n not in outcome.notes:
                            outcome.notes.append(n)
                worst = max(worst, result or 0.0)
                outcome.examples += 1
            if rejected:
                outcome.notes.append(f"{len(rejected)} sample(s) rejected by the backend's "
                                     f"own function ({rejected[0]})")
            if outcome.status == "pass" and not outcome.examples and rejected:
                outcome.status = "skip"
                outcome.message = f"the backend's own function rejects every sample: {rejected[0]}"
            elif outcome.status == "pass":
                outcome.sample = None
                outcome.message = f"{outcome.examples} example(s)"
            outcome.error = worst
        except CheckFailure as exc:
            outcome.status, outcome.message = "fail", str(exc)
        except Exception as exc:
            outcome.status, outcome.message = "fail", f"raised {_exception_message(exc)}"
        if apply_xfail:
            reason = info.expected_failure(check, target.name)
            if reason:
                if outcome.status == "fail":
                    outcome.status, outcome.message = "xfail", f"{reason} [{outcome.message}]"
                elif outcome.status == "pass":
                    outcome.status = "xpass"
                    outcome.message = f"expected to fail ({reason}) but passed"
        return outcome

    def _special(self, info: OpInfo, target) -> Outcome:
        return check_special(self, info, target)

    def backend_rejects(self, case: Case, target) -> str | None:
        """Why the backend's own function raises on ``case``, when called or when its
        result is computed (then the sample is skipped)."""
        cache = self._scope(case.info)
        key = ("rejects", target.name, case.dtype, case.index)
        if key not in cache:
            ours = self.ours(case, target)
            try:
                outs = ours.run([target.asarray(a) for a in case.inputs], ns=target.xp,
                                convert=target.asarray)
                # a lazy backend (Dask) may raise only when the result is computed
                for o in flatten_outputs(outs):
                    if hasattr(o, "shape") and hasattr(o, "dtype"):
                        target.to_numpy(o)
                cache[key] = None
            except Exception as exc:
                cache[key] = f"{type(exc).__name__}: {exc}"
        return cache[key]

    def _skip_reason(self, info: OpInfo, target, dtype: str, check: str) -> str | None:
        if not target.available:
            return f"backend {target.name} unavailable: {target.reason}"
        if target.dtype(dtype) is None:
            return f"backend {target.name} has no {dtype}"
        skipped = getattr(target, "skipped_dtypes", {}).get(dtype)
        if skipped and dtype not in self.dtypes:
            return f"{dtype} not checked on {target.name} by default (--dtype {dtype} " \
                   f"checks it): {skipped}"
        if not has_function(info, target.xp):
            return f"backend {target.name} has no {info.name}"
        if check == "backends":
            if self.baseline is None or self.baseline.name == target.name:
                return "this backend is the baseline of the cross-backend comparison"
            if not has_function(info, self.baseline.xp):
                return f"baseline {self.baseline.name} has no {info.name}"
        return None

    def _one(self, check: str, case: Case, target):
        if check == "backends":
            return check_backends(self, case, target, self.baseline)
        return _CHECK_FUNCTIONS[check](self, case, target)

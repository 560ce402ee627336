"""The OpInfo record: what the conformance suite needs to know about one op.

One small record per function of the standard (in the spirit of PyTorch's
``opinfo/core.py``, much narrower).  A record says how to make valid sample
inputs (a *family* supplies defaults: shapes with broadcasting, 0-d and empty
arrays), the input domain per argument, the option sets (``kwargs``) to try,
tolerances, and expected failures with their reasons.  The generic checks in
``conformance_tests/checks.py`` run every record on every backend and dtype.

Sample values are drawn with Hypothesis as NumPy float64 "master" arrays; the
runner converts them to each backend and dtype, and to torch tensors for the
reference.  Float arrays in ``Sample.args`` are the differentiable inputs;
integer and boolean arrays and everything else are passed as constants.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
from hypothesis import strategies as st

# ---------------------------------------------------------------------------
# samples
# ---------------------------------------------------------------------------


@dataclass
class Sample:
    """One call: positional ``args`` (NumPy arrays or other values) and ``kwargs``."""

    args: tuple
    kwargs: dict = field(default_factory=dict)

    def describe(self) -> str:
        parts = []
        for a in self.args:
            if isinstance(a, np.ndarray):
                parts.append(f"array(shape={a.shape}, dtype={a.dtype}, "
                             f"values={np.array2string(a.ravel()[:6], precision=4)}"
                             f"{'...' if a.size > 6 else ''})")
            else:
                parts.append(repr(a))
        parts += [f"{k}={v!r}" for k, v in self.kwargs.items()]
        return ", ".join(parts)


Domain = tuple  # (low, high): values drawn uniformly inside, bounds excluded


def values(draw, shape: tuple, domain: Domain = (-2.0, 2.0), special: tuple = ()) -> np.ndarray:
    """A float64 array of ``shape`` with values in ``domain`` (plus ``special`` values)."""
    low, high = domain
    size = int(np.prod(shape)) if shape else 1
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    # keep away from the bounds so finite differences stay inside the domain
    margin = 0.05 * (high - low)
    flat = rng.uniform(low + margin, high - margin, size)
    if special and size:
        picks = draw(st.lists(st.sampled_from(special), min_size=0, max_size=min(size, 3)))
        for i, v in enumerate(picks):
            flat[rng.integers(size)] = v
    return flat.reshape(shape)


SHAPES = [(), (1,), (5,), (2, 3), (2, 3, 4), (0,), (2, 0)]
BROADCAST_PAIRS = [((), ()), ((4,), (4,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((), (2, 3)),
                   ((3, 1, 2), (4, 2)), ((0,), (1,)), ((2, 0), (2, 1))]


def shape_strategy(min_dims: int = 0, allow_empty: bool = True):
    pool = [s for s in SHAPES if len(s) >= min_dims and (allow_empty or 0 not in s)]
    return st.sampled_from(pool)


# ---------------------------------------------------------------------------
# families: default samples
# ---------------------------------------------------------------------------


def _unary(info: "OpInfo", draw) -> Sample:
    shape = draw(shape_strategy(info.min_dims, info.allow_empty))
    x = values(draw, shape, info.domain_of(0), info.special)
    kwargs = draw(st.sampled_from(info.kwargs))
    return Sample((x,), dict(kwargs))


def _binary(info: "OpInfo", draw) -> Sample:
    pairs = [p for p in BROADCAST_PAIRS if info.allow_empty or
             (0 not in p[0] and 0 not in p[1])]
    s1, s2 = draw(st.sampled_from(pairs))
    if draw(st.booleans()):
        s1, s2 = s2, s1
    x1 = values(draw, s1, info.domain_of(0), info.special)
    x2 = values(draw, s2, info.domain_of(1), info.special)
    if info.ties and x1.shape == x2.shape and x1.size and draw(st.booleans()):
        x2.ravel()[0] = x1.ravel()[0]  # a tie, on purpose
    kwargs = draw(st.sampled_from(info.kwargs))
    return Sample((x1, x2), dict(kwargs))


def _reduction(info: "OpInfo", draw) -> Sample:
    shape = draw(shape_strategy(info.min_dims, info.allow_empty))
    x = values(draw, shape, info.domain_of(0), info.special)
    ndim = len(shape)
    options: list[dict] = [{}]
    if ndim >= 1:
        options += [{"axis": 0}, {"axis": -1, "keepdims": True}]
    if ndim >= 2:
        options += [{"axis": (0, 1)}, {"axis": (-1, 0), "keepdims": True}]
    kwargs = dict(draw(st.sampled_from(options)))
    kwargs.update(draw(st.sampled_from(info.kwargs)))
    if info.ties and x.size > 1 and draw(st.booleans()):
        x.ravel()[-1] = x.ravel()[0]
    return Sample((x,), kwargs)


FAMILIES: dict[str, Callable] = {"unary": _unary, "binary": _binary, "reduction": _reduction}


# ---------------------------------------------------------------------------
# the record
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpInfo:
    """What the suite needs to know about one function of the standard.

    Attributes
    ----------
    name : str
        The namespace name (``"sin"``, ``"linalg.solve"``).
    family : str
        ``"unary"``, ``"binary"``, ``"reduction"`` or ``"custom"`` (then
        ``sample`` is required).
    domain : tuple or tuple of tuples
        ``(low, high)`` for every argument, or one per argument.
    kwargs : tuple of dict
        Option sets to try (one is drawn per example).
    sample : callable, optional
        ``sample(draw) -> Sample`` for the ``custom`` family (``draw`` is
        Hypothesis's); it may use :func:`values` and :func:`shape_strategy`.
    ref : callable, optional
        The PyTorch reference on torch tensors; default: the function of the
        same name in ``array_api_compat.torch`` (the same array API call,
        differentiated by ``torch.autograd``).
    differentiable : bool
        ``False`` for functions that are never recorded (checked: the result
        carries no history).
    smooth : bool
        Finite differences are valid at the sampled points.
    second_order : bool
        Check second derivatives (reverse-over-reverse, forward-over-reverse).
    ties : bool
        Put ties/kinks into the samples on purpose (``maximum``, ``max``...).
    special : tuple of float
        Values mixed into samples on purpose (e.g. ``0.0`` for ``abs``).
    min_dims : int
        Smallest rank the op accepts.
    allow_empty : bool
        Whether empty arrays are valid inputs.
    dtypes : tuple of str
        Dtype names to run: ``"float64"``, ``"float32"``, ``"complex128"``.
    rtol : dict
        Relative tolerance per dtype name, against PyTorch.
    xfail : mapping
        ``{"check" or "check:backend": reason}`` for known, explained failures.
        Checks are named ``forward``, ``vjp``, ``jvp``, ``grad2``, ``fd``,
        ``backends`` and ``not_recorded`` (see ``conformance_tests/checks.py``).
    call : callable, optional
        ``call(xp, *args, **kwargs)``: how to invoke the op given a namespace
        (ours, the raw backend's, or ``array_api_compat.torch`` for the
        reference when ``ref`` is not given).  Default: ``xp.<name>(*args,
        **kwargs)``, or the method ``args[0].<name>(*args[1:], **kwargs)`` for
        the array object's dunder names (``"__add__"``).  Needed for
        operations that are statements, such as ``__setitem__``.

    Strings in samples that name a dtype (``"float32"``) are replaced by that
    namespace's dtype object before the call.
    """

    name: str
    family: str = "unary"
    domain: Any = (-2.0, 2.0)
    kwargs: tuple = ({},)
    sample: Callable | None = None
    ref: Callable | None = None
    differentiable: bool = True
    smooth: bool = True
    second_order: bool = True
    ties: bool = False
    special: tuple = ()
    min_dims: int = 0
    allow_empty: bool = True
    dtypes: tuple = ("float64", "float32")
    rtol: Mapping[str, float] = field(default_factory=lambda: {
        "float64": 1e-9, "float32": 2e-4, "complex128": 1e-9, "complex64": 2e-4})
    xfail: Mapping[str, str] = field(default_factory=dict)
    call: Callable | None = None

    def domain_of(self, position: int) -> Domain:
        if self.domain and isinstance(self.domain[0], tuple):
            return self.domain[position]
        return self.domain

    def draw_sample(self, draw) -> Sample:
        if self.family == "custom":
            return self.sample(draw)
        return FAMILIES[self.family](self, draw)

    def expected_failure(self, check: str, backend: str) -> str | None:
        reason = self.xfail.get(f"{check}:{backend}") or self.xfail.get(check)
        if reason is None and check == "batched":
            # the batched check runs the same VJPs, so it fails where they do
            return self.expected_failure("vjp", backend)
        return reason

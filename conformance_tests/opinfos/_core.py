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

Besides the drawn samples, a record has fixed *special-value* samples
(``OpInfo.edges``, labelled, with their own cotangents): zeros of both signs,
infinities, NaN, ties, repeated indices, singular matrices.  The ``special``
check compares their values and gradients with PyTorch's, NaN and infinities
included; ``conformance_tests/special_values.py`` lists, with the reason, every
place where ours differs on purpose.  The ``unary``, ``binary`` and
``reduction`` families make theirs from :data:`SPECIAL_VALUES` (see
:func:`unary_edges`, :func:`binary_edges`, :func:`reduction_edges`).
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
    """One call: positional ``args`` (NumPy arrays or other values) and ``kwargs``.

    Special-value samples also have a ``label`` (what they probe, named in
    ``special_values.py``) and may fix the ``cotangents`` of the outputs: one
    entry per output, a float64 array, ``"mixed"`` (random, with NaN and
    infinities at some places: :func:`mixed_cotangent`), ``"copies"`` (the
    output's first axis holds copies of the same rows, given finite, NaN and
    infinite cotangents: :func:`copies_cotangent`) or ``None`` (random,
    finite).
    """

    args: tuple
    kwargs: dict = field(default_factory=dict)
    label: str = ""
    cotangents: tuple | None = None

    def describe(self) -> str:
        parts = [f"[{self.label}]"] if self.label else []
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
# special values: fixed samples
# ---------------------------------------------------------------------------

INF, NAN = float("inf"), float("nan")
SPECIAL_VALUES = (0.0, -0.0, 1.0, -1.5, INF, -INF, NAN)
"""The values every element-wise function meets in its special-value samples (plus
the record's ``edge_values``: the ends of its domain, its kinks)."""

COTANGENT_KINDS = ("finite", "nan", "inf")
"""The special-value samples of the families repeat their inputs once per kind of
cotangent: random finite values, NaN, +inf.  A NaN or infinite cotangent times a
derivative that is 0 by structure must give 0, as PyTorch's zeros_like does."""


def _cotangent_copies(shape: tuple, seed: int) -> np.ndarray:
    """``len(COTANGENT_KINDS)`` stacked cotangents of ``shape``: finite, NaN, +inf."""
    finite = np.random.default_rng(seed).uniform(0.25, 1.0, shape)
    finite *= np.where(np.arange(finite.size).reshape(shape) % 2, -1.0, 1.0)
    return np.stack([finite, np.full(shape, NAN), np.full(shape, INF)])


def copies_cotangent(shape: tuple, seed: int = 0) -> np.ndarray:
    """The cotangent of an output whose first axis holds ``len(COTANGENT_KINDS)`` copies
    of the same rows (``shape[0]`` divisible by it): finite, then NaN, then +inf."""
    copies = len(COTANGENT_KINDS)
    per_copy = (shape[0] // copies,) + tuple(shape[1:])
    return _cotangent_copies(per_copy, seed).reshape(shape)


def mixed_cotangent(shape: tuple, seed: int = 0) -> np.ndarray:
    """Random finite values, with NaN at every 5th flat position from 1 and +inf at
    every 5th from 3 (a scalar gets a finite value)."""
    values = np.random.default_rng(seed).uniform(-1.0, 1.0, shape)
    flat = values.reshape(-1)
    index = np.arange(flat.size)
    flat[index % 5 == 1] = NAN
    flat[index % 5 == 3] = INF
    return flat.reshape(shape)


def edge_grid(info: "OpInfo") -> np.ndarray:
    """:data:`SPECIAL_VALUES` and the record's ``edge_values``, without repeats."""
    grid: list = []
    for v in SPECIAL_VALUES + tuple(info.edge_values):
        if not any((np.isnan(v) and np.isnan(g)) or
                   (v == g and np.signbit(v) == np.signbit(g)) for g in grid):
            grid.append(v)
    return np.asarray(grid, dtype=np.float64)


def unary_edges(info: "OpInfo") -> list:
    """Every special value, once per kind of cotangent."""
    grid = edge_grid(info)
    x = np.concatenate([grid] * len(COTANGENT_KINDS))
    ct = _cotangent_copies(grid.shape, 1).reshape(-1)
    kwargs = dict(info.kwargs[0])
    return [Sample((x,), kwargs, label="special values", cotangents=(ct,))]


def binary_edges(info: "OpInfo") -> list:
    """Every pair of special values (ties on the diagonal), once per kind of cotangent."""
    grid = edge_grid(info)
    first = np.repeat(grid, grid.size)
    second = np.tile(grid, grid.size)
    copies = len(COTANGENT_KINDS)
    x1, x2 = np.concatenate([first] * copies), np.concatenate([second] * copies)
    ct = _cotangent_copies(first.shape, 2).reshape(-1)
    kwargs = dict(info.kwargs[0])
    return [Sample((x1, x2), kwargs, label="pairs of special values", cotangents=(ct,))]


EDGE_ROWS = {
    "ties": (1.0, 2.0, 2.0, -1.0),
    "low ties": (-1.0, 2.0, -1.0, 0.5),
    "all equal": (0.75, 0.75, 0.75, 0.75),
    "a zero": (0.0, 2.0, -1.0, 0.5),
    "two zeros": (0.0, 2.0, 0.0, 0.5),
    "signed zeros": (0.0, -0.0, 0.0, -0.0),
    "+inf": (1.0, INF, -1.0, 0.5),
    "-inf": (1.0, -INF, -1.0, 0.5),
    "+inf and -inf": (INF, -INF, 1.0, 0.0),
    "two +inf": (INF, INF, 0.0, 1.0),
    "nan": (1.0, NAN, -1.0, 0.5),
    "nan and +inf": (NAN, INF, 0.0, 1.0),
}
"""Rows of special values for reductions and scans (reduced along the last axis)."""


def edge_rows(copies: int = len(COTANGENT_KINDS)) -> np.ndarray:
    """:data:`EDGE_ROWS` as a matrix, repeated ``copies`` times along the first axis."""
    rows = np.asarray(list(EDGE_ROWS.values()), dtype=np.float64)
    return np.concatenate([rows] * copies)


def reduction_edges(info: "OpInfo") -> list:
    """:data:`EDGE_ROWS` reduced along the last axis, once per kind of cotangent."""
    x = edge_rows()
    ct = _cotangent_copies((len(EDGE_ROWS),), 3).reshape(-1)
    kwargs = {**dict(info.kwargs[0]), "axis": -1}
    return [Sample((x,), kwargs, label="rows of special values", cotangents=(ct,))]


EDGE_FAMILIES: dict[str, Callable] = {"unary": unary_edges, "binary": binary_edges,
                                      "reduction": reduction_edges}


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
    edges : callable or None, optional
        ``edges() -> list of Sample``: the special-value samples (labelled,
        see :class:`Sample`), compared with PyTorch by the ``special`` check.
        Default: the family's (:data:`EDGE_FAMILIES`) for records of the
        ``unary``, ``binary`` and ``reduction`` families checked in float64
        (values only for those never recorded), none for the others;
        ``edges=list`` opts out.
    edge_values : tuple of float
        Values added to :data:`SPECIAL_VALUES` in the family's special-value
        samples: the ends of the domain, kinks (``1.0`` for ``acosh``).
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
    edges: Callable | None = None
    edge_values: tuple = ()
    call: Callable | None = None

    def domain_of(self, position: int) -> Domain:
        if self.domain and isinstance(self.domain[0], tuple):
            return self.domain[position]
        return self.domain

    def draw_sample(self, draw) -> Sample:
        if self.family == "custom":
            return self.sample(draw)
        return FAMILIES[self.family](self, draw)

    def edge_samples(self) -> list:
        """The special-value samples (see ``edges``)."""
        if self.edges is not None:
            return list(self.edges())
        family = EDGE_FAMILIES.get(self.family)
        if family is None or "float64" not in self.dtypes:
            return []
        return family(self)

    def expected_failure(self, check: str, backend: str) -> str | None:
        reason = self.xfail.get(f"{check}:{backend}") or self.xfail.get(check)
        if reason is None and check == "batched":
            # the batched check runs the same VJPs, so it fails where they do
            return self.expected_failure("vjp", backend)
        return reason

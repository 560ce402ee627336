"""Where ours differs from ``torch.autograd`` at special values, on purpose: the one list.

The ``special`` check (``checks.py``) runs every record's special-value samples
(``OpInfo.edges``: zeros of both signs, infinities, NaN, ties, repeated
indices, singular matrices, repeated eigenvalues, and NaN or infinite
cotangents) on every backend and compares the values and the gradients with
PyTorch's, NaN and infinity positions included.  Every difference it finds is
either fixed or listed here, with

* ``kind``: why the two may differ:

  - ``"pytorch-bug"``: PyTorch's answer is wrong (a known issue), ours is the
    mathematically right one;
  - ``"convention"``: the function is not differentiable there (a kink, a
    pole, a point outside the domain) and the two conventions differ; ours is
    the one written in the op's documentation;
  - ``"backend-value"``: the *value* is the backend's own (ours returns what
    the backend's function returns) and the backend and PyTorch disagree; the
    gradient follows the value;
  - ``"pending"``: the subject of work in progress that changes it; such an
    entry may be absent without failing the run ("not observed on this branch"),
    and is revised when that work lands;

* ``where``: which entries differ, as a predicate on the sample
  (:class:`Point`), so that any other difference in the same array still
  fails; ``None`` when the whole array differs (a raised error, a matrix);
* ``reason`` and ``evidence``: what each side gives and why.

A listed difference that does not occur fails the run too (unless pending), so
the list stays exact.  The report shows each one in its "Special values"
section with the values observed on every backend.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Callable

import numpy as np

KINDS = ("pytorch-bug", "convention", "backend-value", "pending")


@dataclass(frozen=True)
class Point:
    """What a ``where`` predicate sees: the sample's float inputs (NumPy, float64),
    its other arguments, the cotangent of output 0, PyTorch's outputs, and which
    array is compared (``part``: ``"value"`` or ``"grad"``; ``index``: the output's
    or input's)."""

    x: tuple
    args: tuple
    kwargs: dict
    ct: np.ndarray | None
    part: str
    index: int
    outputs: tuple = ()


@dataclass(frozen=True)
class Difference:
    """One documented difference from PyTorch at special values.

    ``op`` and ``sample`` (the sample's label) are glob patterns; ``part`` is
    ``"value"``, ``"grad"`` or ``"raises"`` (only one side raises); ``index``
    restricts it to one output (value) or input (grad); ``backends`` to some
    backends (``None``: every one).
    """

    op: str
    sample: str
    part: str
    kind: str
    reason: str
    evidence: str
    where: Callable | None = None
    index: int | None = None
    backends: tuple | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"{self.op}: kind {self.kind!r} is not one of {KINDS}")
        if self.part not in ("value", "grad", "raises"):
            raise ValueError(f"{self.op}: part {self.part!r}")

    @property
    def key(self) -> str:
        index = "" if self.index is None else f" {self.index}"
        return f"{self.op} [{self.sample}] {self.part}{index}"

    def applies(self, op: str, sample: str, part: str, index: int | None,
                backend: str) -> bool:
        return (fnmatch.fnmatchcase(op, self.op) and fnmatch.fnmatchcase(sample, self.sample)
                and part == self.part and (self.index is None or index == self.index)
                and (self.backends is None or backend in self.backends))

    def mask(self, point: Point, shape: tuple) -> np.ndarray:
        """The entries of an array of ``shape`` that may differ."""
        if self.where is None:
            return np.ones(shape, dtype=bool)
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(self.where(point), dtype=bool), shape)


def _x(i: int = 0) -> Callable:
    return lambda p: p.x[i]


def matching(op: str, sample: str, part: str, index: int | None, backend: str) -> list:
    """The documented differences for one compared array."""
    return [d for d in DIFFERENCES if d.applies(op, sample, part, index, backend)]


DIFFERENCES: tuple[Difference, ...] = (
    # --- element-wise ---------------------------------------------------------------
    Difference(
        "sign", "special values", "value", "backend-value", where=lambda p: np.isnan(p.x[0]),
        reason="The standard specifies sign(NaN) = NaN, and every backend's sign (NumPy, "
               "array-api-strict, Dask, array-api-compat's torch.sign) returns it; the "
               "reference, torch.sgn (the function whose derivative PyTorch defines for a "
               "complex sign), returns 0.  The gradient is 0 on both sides.",
        evidence="sign(nan): ours nan (the backend's), torch.sgn 0."),
    # --- set functions --------------------------------------------------------------
    Difference(
        "unique_counts", "repeats and special values", "value", "backend-value", index=1,
        backends=("dask",), where=lambda p: np.isnan(p.outputs[0]),
        reason="Dask counts each unique value by comparing the input with it, and NaN "
               "equals nothing: the count of a NaN value is 0 (NumPy, PyTorch: 1, each NaN "
               "being its own unique value).  No gradient is defined on either side.",
        evidence="unique_counts([1, nan, 0, ...]).counts: Dask 0 for nan, PyTorch 1."),
    Difference(
        "unique_inverse", "repeats and special values", "value", "backend-value", index=1,
        backends=("dask",), where=lambda p: np.isnan(p.x[0]),
        reason="Dask finds each input's unique value by comparing them, and NaN equals "
               "nothing: the inverse index of a NaN input is 0 (NumPy, PyTorch: the index "
               "of the NaN among the unique values).  No gradient is defined on either side.",
        evidence="unique_inverse([1, nan, ...]).inverse_indices: Dask 0 for nan, PyTorch 5."),
    # --- linalg ---------------------------------------------------------------------
    Difference(
        "linalg.inv", "*", "raises", "backend-value", backends=("jax",),
        reason="JAX never raises on a value: its inv of an exactly singular matrix returns "
               "infinities and NaN where PyTorch (and NumPy, array-api-strict, Dask) raise "
               "a singular-matrix error.  Ours returns the backend's result.",
        evidence="inv([[0.]]): JAX [[inf]]; PyTorch raises torch.linalg.LinAlgError."),
    Difference(
        "linalg.solve", "*", "raises", "backend-value", backends=("jax",),
        reason="JAX never raises on a value: its solve with an exactly singular matrix "
               "returns infinities and NaN where PyTorch (and NumPy, array-api-strict, "
               "Dask) raise a singular-matrix error.  Ours returns the backend's result.",
        evidence="solve([[1, 2], [2, 4]], [1, 1]): JAX inf/NaN; PyTorch raises "
                 "torch.linalg.LinAlgError."),
    Difference(
        "linalg.slogdet", "*", "raises", "pytorch-bug",
        reason="At an exactly singular matrix (sign 0, logabsdet -inf) PyTorch 2.13's "
               "backward of slogdet solves with the matrix and raises.  Ours returns the "
               "limit of the gradient of logabsdet, adj(A)^T / det(A): +-inf where a "
               "cofactor is non-zero and NaN where it is zero (the documented behaviour, "
               "docs/concepts.rst), so a computation through slogdet does not stop there.",
        evidence="slogdet([[1, 2], [2, 4]]): PyTorch's backward raises "
                 "torch.linalg.LinAlgError (the solver failed because the input matrix is "
                 "singular); ours gives [[inf, -inf], [-inf, inf]]."),
    # --- statistical --------------------------------------------------------------------
    Difference(
        "cumulative_prod", "rows of special values*", "grad", "convention",
        where=lambda p: np.isinf(p.x[0]).any(axis=-1, keepdims=True),
        reason="A row with an infinite entry has no derivative there.  The gradient "
               "entry j is sum_{i >= j} ct_i prod_{m <= i, m != j} x_m; where the common "
               "factor prod_{m < j} x_m is infinite, ours (with a zero in the input) "
               "factors it out, inf * (ct_2 + ct_3 / 2), and PyTorch adds the infinite "
               "terms one by one, inf * ct_2 + inf * ct_3 / 2, which is NaN when the "
               "cotangents have opposite signs.  PyTorch's own answer changes with "
               "create_graph there (its first-order formula divides by x instead).",
        evidence="x = (1, inf, -1, 0.5), ct of alternating signs: entry 2 is +-inf here, "
                 "NaN in PyTorch (create_graph=True)."),
)

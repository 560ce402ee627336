"""Deliberate faults, for the tests that check the checkers catch them."""

from __future__ import annotations

import contextlib

from arrayapi_autograd import ops
from arrayapi_autograd._op import elementwise


@contextlib.contextmanager
def broken_sin(which: str):
    """``sin`` with a derivative 1% off in its ``"vjp"`` or ``"jvp"`` rule only, while inside."""
    op = ops.BY_NAME["sin"]
    bad = elementwise("sin", "floating-point", d=lambda ns, x, out: ns.cos(x) * 1.01)
    saved = getattr(op, which)
    object.__setattr__(op, which, getattr(bad, which))
    try:
        yield
    finally:
        object.__setattr__(op, which, saved)


@contextlib.contextmanager
def structural_zero_as_product():
    """``copysign``'s rule for ``x2`` as ``ct * 0`` (NaN for a NaN cotangent) instead of
    PyTorch's exact zeros, while inside: what the ``special`` check must catch."""
    op = ops.BY_NAME["copysign"]
    saved = op.vjp
    object.__setattr__(op, "vjp", {**saved, "x2": lambda ns, ct, x1, x2, out: ct * 0.0})
    try:
        yield
    finally:
        object.__setattr__(op, "vjp", saved)

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

"""Utility Functions, each with its derivative.

Spec section: "Utility Functions",
https://data-apis.org/array-api/latest/API_specification/utility_functions.html
"""

from __future__ import annotations

from .._op import Op

UTILITY_OPS: tuple[Op, ...] = ()

"""Sorting Functions, each with its derivative.

Spec section: "Sorting Functions",
https://data-apis.org/array-api/latest/API_specification/sorting_functions.html
"""

from __future__ import annotations

from .._op import Op

SORTING_OPS: tuple[Op, ...] = ()

"""Indexing Functions, each with its derivative.

Spec section: "Indexing Functions",
https://data-apis.org/array-api/latest/API_specification/indexing_functions.html
"""

from __future__ import annotations

from .._op import Op

INDEXING_OPS: tuple[Op, ...] = ()

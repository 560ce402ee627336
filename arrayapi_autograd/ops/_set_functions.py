"""Set Functions, each with its derivative.

Spec section: "Set Functions",
https://data-apis.org/array-api/latest/API_specification/set_functions.html
"""

from __future__ import annotations

from .._op import Op

SET_OPS: tuple[Op, ...] = ()

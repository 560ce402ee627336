"""Set Functions, each with its derivative.

Spec section: "Set Functions",
https://data-apis.org/array-api/latest/API_specification/set_functions.html

PyTorch's ``torch.unique`` has no derivative (``derivatives.yaml``:
``_unique2: self: not_implemented``), so there is no reference convention for
the gradient of the unique ``values``.  Silently returning no gradient for a
float output would drop a gradient a user expects, so the ``unique_*``
functions are recorded with no rule: their indices, inverse indices and counts
are integers and carry no history (never recorded), while a backward (or a
forward-mode JVP) through ``values`` raises autograd's "VJP of 'unique_values'
... is not defined" error (``_errors.vjp_not_defined``), pointing the user to
``stop_gradient``.  ``isin`` returns booleans and is never recorded.
"""

from __future__ import annotations

from .. import _batching
from .._op import Op, nondifferentiable


def _no_derivative(name: str) -> Op:
    """Recorded, with no rule: a backward or JVP through its values raises."""
    return Op(name, "any", vjp={}, jvp={}, reads=())


SET_OPS: tuple[Op, ...] = (
    _no_derivative("unique_all"),
    _no_derivative("unique_counts"),
    _no_derivative("unique_inverse"),
    _no_derivative("unique_values"),
    nondifferentiable("isin", "real numeric",
                      batch=_batching.unbatched_only(1)(_batching.elementwise),
                      signature="x1, x2, /, *, invert=False",
                      arrays=("x1", "x2")),
)

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
from ._results import UniqueAllResult, UniqueCountsResult, UniqueInverseResult, named


def _no_derivative(name: str, result=None, **text) -> Op:
    """Recorded, with no rule: a backward or JVP through its values raises."""
    return Op(name, "any", vjp={}, jvp={}, reads=(),
              adapt=None if result is None else named(result), **text)


SET_OPS: tuple[Op, ...] = (
    # the standard's named fields on every backend (ops/_results.py)
    _no_derivative("unique_all", UniqueAllResult,
                   summary=("The unique elements of ``x`` with their first indices, inverse "
                            "indices and counts.")),
    _no_derivative("unique_counts", UniqueCountsResult,
                   summary="The unique elements of ``x`` and their counts."),
    _no_derivative("unique_inverse", UniqueInverseResult,
                   summary=("The unique elements of ``x`` and the indices that rebuild ``x`` "
                            "from them.")),
    _no_derivative("unique_values",
                   summary="The unique elements of ``x``."),
    nondifferentiable("isin", "real numeric",
                      batch=_batching.unbatched_only(1)(_batching.elementwise),
                      signature="x1, x2, /, *, invert=False",
                      arrays=("x1", "x2"),
                      summary="Whether each element of ``x1`` is in ``x2``."),
)

"""Manipulation functions, each with its derivative.

Spec section: "Manipulation Functions",
https://data-apis.org/array-api/latest/API_specification/manipulation_functions.html

All are linear: the JVP is the function applied to the tangent, the VJP its
transpose (``reshape`` back, ``permute_dims`` by the inverse permutation,
``broadcast_to`` by summing).
"""

from __future__ import annotations

from .._op import Op, linear


def _inverse_permutation(axes):
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a % len(axes)] = i
    return tuple(inverse)


def _expand_dims_vjp(ns, ct, x, out, axis):
    return ns.reshape(ct, x.shape)


MANIPULATION_OPS: tuple[Op, ...] = (
    linear("reshape", "any", signature="x, /, shape, *, copy=None", view=True,
           vjp={"x": lambda ns, ct, x, out, shape, copy: ns.reshape(ct, x.shape)}),
    linear("broadcast_to", "any", signature="x, /, shape", view=True,
           # the tape sums a cotangent back to the input's shape
           vjp={"x": lambda ns, ct, x, out, shape: ct}),
    linear("permute_dims", "any", signature="x, /, axes", view=True,
           vjp={"x": lambda ns, ct, x, out, axes:
                ns.permute_dims(ct, _inverse_permutation(axes))}),
    linear("expand_dims", "any", signature="x, /, axis=0", view=True,
           vjp={"x": _expand_dims_vjp}),
)

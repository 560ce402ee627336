"""Statistical functions, each with its derivative.

Spec section: "Statistical Functions",
https://data-apis.org/array-api/latest/API_specification/statistical_functions.html

Formulas follow PyTorch's ``tools/autograd/derivatives.yaml`` and
``torch/csrc/autograd/FunctionsManual.cpp``:

* ``sum``, ``mean`` broadcast the cotangent back (``mean`` divides by the count);
* ``max``/``min`` spread it evenly among tied extrema (``amax``/``amin``'s
  ``scale_grad_by_count``; ``array_api_compat.torch.max`` is ``torch.amax``);
* ``prod`` multiplies it by the product of the *other* elements, computed
  without division from an exclusive cumulative product and a reversed one, so
  that zeros are exact (``prod_safe_zeros_backward``);
* ``cumulative_sum``'s VJP is the reversed cumulative sum of the cotangent
  (``cumsum_backward``); with ``include_initial`` the first cotangent entry,
  belonging to the constant initial 0, is dropped;
* ``cumulative_prod``'s VJP is ``reversed_cumsum(ct * out) / x`` when ``x`` has
  no zero; otherwise every ``sum_{i >= j} ct_i prod_{m <= i, m != j} x_m`` is
  formed without division in O(n^2) (``cumprod_backward``'s exact branch, which
  PyTorch uses when the backward is itself differentiated), so zeros are exact
  to every order;
* ``var``'s VJP is ``ct * 2 (x - mean) / (N - correction)`` and ``std``'s is
  ``var``'s applied to ``ct / (2 std)``, 0 where ``std == 0``
  (``var_backward``/``std_backward``).

Complex inputs follow PyTorch: the cotangent times the conjugate of the
derivative.  ``_flip`` is a private linear helper (its own transpose), reached
through ``ns._function("_flip")``; it keeps the reversed scans differentiable.
"""

from __future__ import annotations

import math

from .. import _batching
from .._op import Op, conj, linear
from ._helpers import normalize_axes, reduced, unreduce

_REDUCTION = "x, /, *, axis=None, dtype=None, keepdims=False"
_CUMULATIVE = "x, /, *, axis=None, dtype=None, include_initial=False"
_MOMENT = "x, /, *, axis=None, correction=0.0, keepdims=False"


def _count(shape, axis) -> int:
    axes = normalize_axes(axis, len(shape))
    return math.prod(shape[a] for a in axes)


def _flip(ns, x, axis):
    return ns._function("_flip")(x, axis=axis)


def _take(x, axis: int, start=None, stop=None):
    """``x[start:stop]`` along ``axis`` (a differentiable ``__getitem__``)."""
    return x[(slice(None),) * axis + (slice(start, stop), Ellipsis)]


def _reverse_cumulative_sum(ns, a, axis: int):
    # sum_{i >= j} a_i: the transpose of the cumulative sum
    return _flip(ns, ns.cumulative_sum(_flip(ns, a, axis), axis=axis), axis)


def _cumulative_axis(x, axis) -> int:
    if axis is None:
        return 0
    return axis % x.ndim


# --- sum, mean, max, min ---------------------------------------------------------


def _sum_vjp(ns, ct, x, out, axis, dtype, keepdims):
    return unreduce(ns, ct, x.shape, axis, keepdims)


def _mean_vjp(ns, ct, x, out, axis, keepdims):
    return unreduce(ns, ct, x.shape, axis, keepdims) / _count(x.shape, axis)


def _extremum_vjp(ns, ct, x, out, axis, keepdims):
    # amax/amin: the cotangent is split evenly among the positions equal to the extremum
    out_k = reduced(ns, out, x.shape, axis, keepdims)
    mask = ns.astype(x == out_k, ct.dtype)
    count = ns.sum(mask, axis=axis, keepdims=True)
    return mask * unreduce(ns, ct, x.shape, axis, keepdims) / count


def _extremum_jvp(ns, t, x, out, axis, keepdims):
    out_k = reduced(ns, out, x.shape, axis, keepdims)
    mask = ns.astype(x == out_k, t.dtype)
    total = ns.sum(mask * t, axis=axis, keepdims=keepdims)
    return total / ns.sum(mask, axis=axis, keepdims=keepdims)


# --- prod --------------------------------------------------------------------------


def _others_product(ns, x, axis):
    """For every element, the product of the other elements of its reduction group.

    Division-free (PyTorch's ``prod_safe_zeros_backward``): the reduced axes are
    moved last and flattened, then exclusive products from the left and from the
    right are multiplied.
    """
    ndim = x.ndim
    axes = normalize_axes(axis, ndim)
    if ndim == 0 or not axes:
        return ns.ones_like(x)
    kept = tuple(d for d in range(ndim) if d not in axes)
    order = kept + axes
    moved = ns.permute_dims(x, order) if order != tuple(range(ndim)) else x
    moved_shape = moved.shape
    k = math.prod(x.shape[a] for a in axes)
    if k == 0 or 0 in x.shape:  # empty: nothing to compute (and no empty slices to
        return ns.ones_like(x)  # differentiate, which Dask's __setitem__ refuses)
    flat = ns.reshape(moved, tuple(x.shape[d] for d in kept) + (k,))
    last = len(kept)
    left = _take(ns.cumulative_prod(flat, axis=last, include_initial=True), last, None, k)
    right = _flip(ns, _take(ns.cumulative_prod(_flip(ns, flat, last), axis=last,
                                               include_initial=True), last, None, k), last)
    others = ns.reshape(left * right, moved_shape)
    if order == tuple(range(ndim)):
        return others
    inverse = tuple(order.index(d) for d in range(ndim))
    return ns.permute_dims(others, inverse)


def _prod_vjp(ns, ct, x, out, axis, dtype, keepdims):
    return unreduce(ns, ct, x.shape, axis, keepdims) * conj(ns, _others_product(ns, x, axis))


def _prod_jvp(ns, t, x, out, axis, dtype, keepdims):
    return ns.sum(_others_product(ns, x, axis) * t, axis=axis, keepdims=keepdims)


# --- cumulative_sum, cumulative_prod ----------------------------------------------------


def _cumulative_sum_vjp(ns, ct, x, out, axis, dtype, include_initial):
    axis = _cumulative_axis(x, axis)
    if include_initial:
        ct = _take(ct, axis, 1, None)
    return _reverse_cumulative_sum(ns, ct, axis)


def _cumulative_prod_vjp(ns, ct, x, out, axis, dtype, include_initial):
    axis = _cumulative_axis(x, axis)
    if include_initial:
        ct = _take(ct, axis, 1, None)
        out = _take(out, axis, 1, None)
    n = x.shape[axis]
    if n == 0:
        return ct
    xc = conj(ns, x)
    if not bool(ns.any(x == 0)):
        return _reverse_cumulative_sum(ns, ct * conj(ns, out), axis) / xc
    # x has zeros: grad_j = E_j * sum_{i >= j} ct_i * P_ij with E_j = prod_{m < j} x_m and
    # P_ij = prod_{j < m <= i} x_m, the cumulative product over i of
    # A_ij = (x_i if i > j else 1); i runs along `axis`, j along the new axis + 1.
    trailing = (1,) * (x.ndim - axis - 1)
    index = ns.arange(n, device=x.device)
    i = ns.reshape(index, (n, 1) + trailing)
    j = ns.reshape(index, (1, n) + trailing)
    x_i = ns.expand_dims(xc, axis=axis + 1)
    a = ns.where(i > j, x_i, ns.ones_like(x_i))
    p = ns.cumulative_prod(a, axis=axis)
    terms = ns.expand_dims(ct, axis=axis + 1) * p
    s = ns.sum(ns.where(i >= j, terms, ns.zeros_like(terms)), axis=axis)
    e = _take(ns.cumulative_prod(xc, axis=axis, include_initial=True), axis, None, n)
    return e * s


def _cumulative_prod_jvp(ns, t, x, out, axis, dtype, include_initial):
    # t_out_i = sum_{j <= i} t_j prod_{m <= i, m != j} x_m.  Without zeros this is
    # out_i * cumsum(t / x)_i.  With zeros, division-free: C_ij = (t_j if i == j else x_i)
    # has cumulative product over i equal to t_j prod_{m <= i, m != j} x_m for i >= j,
    # which is summed over j <= i (i along `axis`, j along the new axis + 1).
    axis = _cumulative_axis(x, axis)
    n = x.shape[axis]
    if n == 0 or not bool(ns.any(x == 0)):
        return ns.cumulative_sum(t / x, axis=axis, include_initial=include_initial) * out
    trailing = (1,) * (x.ndim - axis - 1)
    index = ns.arange(n, device=x.device)
    i = ns.reshape(index, (n, 1) + trailing)
    j = ns.reshape(index, (1, n) + trailing)
    c = ns.where(i == j, ns.expand_dims(t, axis=axis), ns.expand_dims(x, axis=axis + 1))
    products = ns.cumulative_prod(c, axis=axis, include_initial=include_initial)
    rows = ns.reshape(ns.arange(products.shape[axis], device=x.device),
                      (products.shape[axis], 1) + trailing)
    if include_initial:
        rows = rows - 1
    return ns.sum(ns.where(rows >= j, products, ns.zeros_like(products)), axis=axis + 1)


# --- var, std ----------------------------------------------------------------------------


def _var_scale(x, axis, correction) -> float:
    dof = _count(x.shape, axis) - correction
    return 2.0 / dof if dof != 0 else math.inf


def _var_vjp(ns, ct, x, out, axis, correction, keepdims):
    # var_backward: ct * 2 (x - mean) / (N - correction)
    centered = x - ns.mean(x, axis=axis, keepdims=True)
    return unreduce(ns, ct, x.shape, axis, keepdims) * centered * _var_scale(x, axis, correction)


def _var_jvp(ns, t, x, out, axis, correction, keepdims):
    centered = x - ns.mean(x, axis=axis, keepdims=True)
    total = ns.sum(centered * t, axis=axis, keepdims=keepdims)
    if _count(x.shape, axis) == 0:
        return total  # an empty sum: 0, as PyTorch's var_jvp
    return total * _var_scale(x, axis, correction)


def _over_twice_std(ns, a, out):
    # a / (2 std), 0 where std == 0 (std_backward's masked_fill_)
    zero = out == 0
    safe = ns.where(zero, ns.ones_like(out), out)
    return ns.where(zero, ns.zeros_like(a), a / (2 * safe))


def _std_vjp(ns, ct, x, out, axis, correction, keepdims):
    return _var_vjp(ns, _over_twice_std(ns, ct, out), x, out, axis, correction, keepdims)


def _std_jvp(ns, t, x, out, axis, correction, keepdims):
    return _over_twice_std(ns, _var_jvp(ns, t, x, out, axis, correction, keepdims), out)


def _flip_forward(xp, x, *, axis):
    return xp.flip(x, axis=axis)


STATISTICAL_OPS: tuple[Op, ...] = (
    linear("sum", "numeric", batch=_batching.reduction, signature=_REDUCTION, vjp={"x": _sum_vjp},
           summary="The sum of the elements along ``axis``.",
           rule="broadcasts the cotangent back to ``x``'s shape"),
    linear("mean", "floating-point", batch=_batching.reduction,
           signature="x, /, *, axis=None, keepdims=False", vjp={"x": _mean_vjp},
           summary="The arithmetic mean along ``axis``.",
           rule="broadcasts the cotangent back, divided by the number of elements reduced"),
    Op("max", "real numeric", batch=_batching.reduction,
       signature="x, /, *, axis=None, keepdims=False",
       vjp={"x": _extremum_vjp}, jvp={"x": _extremum_jvp}, reads=("x", "out"),
       summary="The maximum along ``axis``.",
       rule=("The cotangent goes to the maximal elements, spread evenly among ties (PyTorch's "
             "``amax`` with ``scale_grad_by_count``); the JVP is the mean of the tangents at "
             "the maxima.")),
    Op("min", "real numeric", batch=_batching.reduction,
       signature="x, /, *, axis=None, keepdims=False",
       vjp={"x": _extremum_vjp}, jvp={"x": _extremum_jvp}, reads=("x", "out"),
       summary="The minimum along ``axis``.",
       rule=("The cotangent goes to the minimal elements, spread evenly among ties (PyTorch's "
             "``amin`` with ``scale_grad_by_count``); the JVP is the mean of the tangents at "
             "the minima.")),
    Op("prod", "numeric", batch=_batching.reduction,
       signature=_REDUCTION, vjp={"x": _prod_vjp}, jvp={"x": _prod_jvp},
       summary="The product of the elements along ``axis``.",
       rule=("The VJP multiplies the cotangent by the product of the other elements, formed "
             "without division from exclusive cumulative products, so zeros are exact."),
       source="PyTorch's ``prod_safe_zeros_backward``"),
    linear("cumulative_sum", "numeric", batch=_batching.flattening,
           signature=_CUMULATIVE, vjp={"x": _cumulative_sum_vjp},
           summary="The cumulative sum along ``axis``.",
           rule=("is the reversed cumulative sum of the cotangent (with ``include_initial`` "
                 "its first entry, for the constant initial 0, is dropped)"),
           source="PyTorch's ``cumsum_backward``"),
    Op("cumulative_prod", "numeric", batch=_batching.flattening,
       signature=_CUMULATIVE, reads=("x", "out"),
       vjp={"x": _cumulative_prod_vjp}, jvp={"x": _cumulative_prod_jvp},
       summary="The cumulative product along ``axis``.",
       rule=("The VJP is ``reversed_cumsum(ct * out) / x`` when ``x`` has no zero; otherwise "
             "each term is formed without division, so zeros are exact to every order."),
       source="PyTorch's ``cumprod_backward``"),
    Op("var", "real floating-point", batch=_batching.reduction,
       signature=_MOMENT, vjp={"x": _var_vjp},
       jvp={"x": _var_jvp},
       summary="The variance along ``axis``, with ``correction`` degrees of freedom removed.",
       rule="The VJP is ``ct * 2 * (x - mean) / (N - correction)``.",
       source="PyTorch's ``var_backward``"),
    Op("std", "real floating-point", batch=_batching.reduction,
       signature=_MOMENT, vjp={"x": _std_vjp},
       jvp={"x": _std_jvp}, reads=("x", "out"),
       summary=("The standard deviation along ``axis``, with ``correction`` degrees of freedom "
                "removed."),
       rule="The VJP is ``var``'s applied to ``ct / (2 * std)``; 0 where ``std == 0``.",
       source="PyTorch's ``std_backward``"),
    # private: reverses the order along one axis; linear and its own transpose
    linear("_flip", "any", batch=_batching.axes("axis"),
           signature="x, /, *, axis", forward=_flip_forward,
           vjp={"x": lambda ns, ct, x, out, axis: _flip(ns, ct, axis)},
           summary="Private: ``x`` reversed along one axis.",
           rule="flips the cotangent again along ``axis``"),
)

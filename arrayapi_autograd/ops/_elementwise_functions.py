"""Element-wise functions, each with its derivative.

Spec section: "Element-wise Functions",
https://data-apis.org/array-api/latest/API_specification/elementwise_functions.html

Derivatives follow PyTorch's ``tools/autograd/derivatives.yaml`` and
``FunctionsManual.cpp`` (the reference for every convention here):

* ``abs'(0) = 0`` (``ct * sgn(x)``, also for complex ``x``), and 0 at a NaN
  ``x`` (PyTorch's ``sgn(nan)`` is 0);
* ``maximum``/``minimum`` split the cotangent evenly at ties; a NaN operand
  receives the cotangent; the losing argument gets an exact 0 (``where``, not a
  product: PyTorch's ``masked_fill``), even for a NaN or infinite cotangent;
  the JVP is PyTorch's ``t2 + w * (t1 - t2)``;
* ``clip`` passes the cotangent to ``x`` where ``min <= x <= max`` (bounds
  included), to an array ``min`` where ``x < min`` and ``min < max``, to an
  array ``max`` where ``x > max`` or ``max < min`` (``clamp_backward_min_max``);
* ``pow``: the base gradient is 0 where the exponent is 0 (an exact 0, even
  for a NaN cotangent, as PyTorch's ``masked_fill`` after the product), the
  exponent gradient is 0 where the base is 0 and the exponent is non-negative
  (for a complex exponent: real part >= 0, imaginary part 0);
* ``copysign``: ``out / x1`` for ``x1``, 0 at ``x1 == 0``; exact zeros for
  ``x2`` (PyTorch's ``zeros_like``: a NaN cotangent gives 0, not NaN);
* ``remainder``: ``ct`` for ``x1``, ``-ct * floor_divide(x1, x2)`` for ``x2``
  (PyTorch's ``div(rounding_mode="floor")``, Python's floor division, which
  gives ``1 // -inf == -1``, not ``floor(1 / -inf) == -0``);
* ``sign`` of a real input and the other piecewise-constant functions
  (``floor``, ``ceil``, ``round``, ``trunc``, ``floor_divide``) have zero
  derivative, returned as zeros (never ``ct * 0``, which is NaN for a NaN
  cotangent); ``sign`` of a complex input has ``sgn``'s derivative
  (``sgn_backward``: ``(g - sgn(z)**2 conj(g)) / (2|z|)``, 0 at ``z == 0``);
* ``real``/``imag``/``conj`` of complex inputs: ``ct`` as a complex number,
  ``ct * 1j`` and ``conj(ct)``;
* ``nextafter``: ``ct`` for ``x1`` where ``x1 != x2`` and exact zeros where
  they are equal (the result is ``x2`` there), zeros for ``x2``, in both modes
  (PyTorch 2.13's ``NextafterBackward`` and its forward gradient).

For complex inputs the VJP multiplies by the conjugate of the local derivative
(PyTorch's convention).
"""

from __future__ import annotations

from dataclasses import replace

from .. import _batching
from .._op import (Op, at_precision, bilinear, conj, elementwise, nondifferentiable,
                   nondifferentiable_binary, zero_derivative)
from ._helpers import sgn

# -- helpers -------------------------------------------------------------------


def _where0(ns, cond, value):
    """``value`` where ``cond`` is false, 0 where it is true."""
    return ns.where(cond, ns.zeros_like(value), value)


def _pow_d_x1(ns, x1, x2, out):
    # d/dx1 x1**x2 = x2 * x1**(x2 - 1), defined as 0 where x2 == 0 (PyTorch)
    return _where0(ns, x2 == 0, x2 * x1 ** (x2 - 1))


def _pow_d_x2(ns, x1, x2, out):
    # d/dx2 x1**x2 = x1**x2 * log(x1), defined as 0 where x1 == 0 and the exponent is
    # "non-negative" (real x2 >= 0; complex: imag(x2) == 0 and real(x2) >= 0), which
    # masks the nan of 0 * log(0) (PyTorch's pow_backward_exponent)
    if ns._is_complex_dtype(x2.dtype):
        non_negative = (ns.imag(x2) == 0) & (ns.real(x2) >= 0)
    else:
        non_negative = x2 >= 0
    return _where0(ns, (x1 == 0) & non_negative, out * ns.log(x1))


def _min_max_vjp(ns, ct, x1, x2, loses):
    # PyTorch's where(x1 == x2, ct / 2, ct).masked_fill_(loses, 0): the loser's zero is
    # written, not multiplied, so a NaN or infinite cotangent gives it 0
    half = ns.where(x1 == x2, ct * 0.5, ct)
    return ns.where(loses, ns.zeros_like(half), half)


def _min_max_jvp(ns, tangents, x1, x2, wins):
    # PyTorch's forward grad of maximum/minimum:
    # t2 + where(x1 == x2, 1/2, x1 wins) * (t1 - t2)
    t1, t2 = tangents
    t1 = ns.zeros_like(x1) if t1 is None else t1
    t2 = ns.zeros_like(x2) if t2 is None else t2
    weight = ns.astype(wins, t1.dtype)
    weight = ns.where(x1 == x2, ns.ones_like(weight) * 0.5, weight)
    return t2 + weight * (t1 - t2)


def _clip_vjp_x(ns, ct, x, min, max, out):
    # PyTorch's clamp_backward_min_max: pass where min <= x <= max
    inside = None
    if min is not None:
        inside = x >= min
    if max is not None:
        below = x <= max
        inside = below if inside is None else inside & below
    return ct if inside is None else _where0(ns, ~inside, ct)


def _clip_vjp_min(ns, ct, x, min, max, out):
    take = x < min
    if max is not None:
        take = take & (min < max)
    return _where0(ns, ~take, ct)


def _clip_vjp_max(ns, ct, x, min, max, out):
    take = x > max
    if min is not None:
        take = take | (max < min)
    return _where0(ns, ~take, ct)


def _clip_jvp(ns, tangents, x, min, max, out):
    t_x, t_min, t_max = tangents
    result = None
    for t, rule in ((t_x, _clip_vjp_x), (t_min, _clip_vjp_min), (t_max, _clip_vjp_max)):
        if t is not None:
            term = rule(ns, ns.broadcast_to(t, out.shape) if t.shape != out.shape else t,
                        x, min, max, out)
            result = term if result is None else result + term
    return result


def _clip_vjp(ns, ct, x, min, max, out, needed):
    rules = (_clip_vjp_x, _clip_vjp_min, _clip_vjp_max)
    return tuple(rule(ns, ct, x, min, max, out) if n else None for rule, n in zip(rules, needed))


def _atan2_d(ns, numerator, x1, x2):
    # d atan2(x1, x2) = (x2 dx1 - x1 dx2) / (x1^2 + x2^2); 0 at the origin, where
    # PyTorch's backward also gives 0
    r2 = x1 * x1 + x2 * x2
    return _where0(ns, r2 == 0, numerator / ns.where(r2 == 0, ns.ones_like(r2), r2))


def _copysign_d_x1(ns, x1, x2, out):
    # d/dx1 copysign(x1, x2) = sign(x1) * sign-of(x2), 0 at x1 == 0 (PyTorch)
    ratio = out / ns.where(x1 == 0, ns.ones_like(x1), x1)
    return _where0(ns, x1 == 0, ratio)


def _real_vjp(ns, ct, x, out):
    # real(z): the cotangent of a real output maps back as a real-part perturbation
    if ns._is_complex_dtype(x.dtype):
        return ns.astype(ct, x.dtype)
    return ct


def _imag_vjp(ns, ct, x, out):
    # imag(z): PyTorch gives ct * 1j for the complex input
    return ns.astype(ct, x.dtype) * 1j


def _conj_vjp(ns, ct, x, out):
    return conj(ns, ct)


def _sgn_derivative(ns, g, x, out):
    # sign(z) = z / |z| for complex z is not holomorphic; with d/dz = 1 / (2|z|) and
    # d/dconj(z) = -sgn(z)**2 / (2|z|), both the VJP (g a cotangent) and the JVP (g a
    # tangent) are (g - sgn(z)**2 * conj(g)) / (2|z|), set to 0 at z == 0: PyTorch's
    # sgn_backward (FunctionsManual.cpp), used for sgn's grad and its forward grad.
    # Real sign is piecewise constant: zero derivative.
    if not ns._is_complex_dtype(x.dtype):
        return ns.zeros_like(out)
    magnitude = ns.abs(x)
    zero = magnitude == 0
    safe = ns.where(zero, ns.ones_like(magnitude), magnitude)
    return _where0(ns, zero, (g - out * out * ns.conj(g)) / (2 * safe))


def _abs_jvp(ns, t, x, out):
    if ns._is_complex_dtype(x.dtype):
        return ns.real(ns.conj(ns.sign(x)) * t)
    return sgn(ns, x) * t


def _pow_vjp_x1(ns, ct, x1, x2, out):
    # pow_backward_self: the product, then masked_fill_(exponent == 0, 0); the operands
    # at the output's precision (a float32 exponent of a float64 power)
    x1, x2 = at_precision(ns, x1, ct), at_precision(ns, x2, ct)
    product = ct * conj(ns, _pow_d_x1(ns, x1, x2, out))
    return _where0(ns, x2 == 0, product)


def _zeros_vjp(ns, ct, *primals, **params):
    return ns.zeros_like(ct)


def _zeros_jvp(ns, t, *primals, out, **params):
    return ns.zeros_like(out)


ELEMENTWISE_OPS: tuple[Op, ...] = (
    # --- arithmetic -----------------------------------------------------------
    Op("add", "numeric", signature="x1, x2, /", arrays=("x1", "x2"), reads=(),
       vjp={"x1": lambda ns, ct, x1, x2, out: ct, "x2": lambda ns, ct, x1, x2, out: ct},
       jvp={"x1": lambda ns, t, x1, x2, out: t, "x2": lambda ns, t, x1, x2, out: t},
       summary="The sum ``x1 + x2``, element-wise.",
       rule="The VJP passes ``ct`` to both arguments; the JVP is ``t1 + t2``."),
    Op("subtract", "numeric", signature="x1, x2, /", arrays=("x1", "x2"), reads=(),
       vjp={"x1": lambda ns, ct, x1, x2, out: ct, "x2": lambda ns, ct, x1, x2, out: -ct},
       jvp={"x1": lambda ns, t, x1, x2, out: t, "x2": lambda ns, t, x1, x2, out: -t},
       summary="The difference ``x1 - x2``, element-wise.",
       rule="The VJP is ``ct`` for ``x1`` and ``-ct`` for ``x2``; the JVP is ``t1 - t2``."),
    bilinear("multiply", "numeric",
             vjp={"x1": lambda ns, ct, x1, x2, out: ct * conj(ns, x2),
                  "x2": lambda ns, ct, x1, x2, out: ct * conj(ns, x1)},
             summary="The product ``x1 * x2``, element-wise.",
             rule="``conj(x2) * ct`` for ``x1`` and ``conj(x1) * ct`` for ``x2``"),
    elementwise("divide", "floating-point",
                d={"x1": lambda ns, x1, x2, out: 1 / x2,
                   # PyTorch's form, -(x1 / x2) / x2: at x2 == 0 its own derivative is
                   # infinite where x1 / (x2 * x2) would give inf * 0
                   "x2": lambda ns, x1, x2, out: -(x1 / x2) / x2},
                reads={"x1": ("x2",), "x2": ("x1", "x2")},
                summary="The quotient ``x1 / x2``, element-wise.",
                rule="``d/dx1 = 1 / x2``, ``d/dx2 = -x1 / x2**2``"),
    Op("negative", "numeric", reads=(),
       vjp={"x": lambda ns, ct, x, out: -ct}, jvp={"x": lambda ns, t, x, out: -t},
       summary="The numerical negative ``-x``, element-wise.",
       rule="The VJP is ``-ct``, the JVP ``-t``."),
    Op("positive", "numeric", reads=(),
       vjp={"x": lambda ns, ct, x, out: ct}, jvp={"x": lambda ns, t, x, out: t},
       summary="The numerical positive ``+x``, element-wise.",
       rule="The VJP is ``ct``, the JVP ``t``."),
    (lambda op: replace(op, vjp={**op.vjp, "x1": _pow_vjp_x1}))(
        elementwise("pow", "numeric", d={"x1": _pow_d_x1, "x2": _pow_d_x2},
                    reads={"x1": ("x1", "x2"), "x2": ("x1", "x2", "out")},
                    summary="``x1`` raised to the power ``x2``, element-wise.",
                    rule=("``d/dx1 = x2 * x1**(x2 - 1)``, ``d/dx2 = out * log(x1)``.  "
                          "Conventions: the ``x1`` gradient is an exact 0 where ``x2 == 0`` "
                          "(even for a NaN cotangent); the ``x2`` gradient is 0 where ``x1 == "
                          "0`` and the exponent is non-negative (complex: real part >= 0 and "
                          "imaginary part 0)"))),
    elementwise("square", "numeric", d=lambda ns, x, out: 2 * x,
                summary="The square ``x * x``, element-wise.",
                rule="``d/dx = 2 * x``"),
    elementwise("sqrt", "floating-point", d=lambda ns, x, out: 0.5 / out,
                reads={"x": ("out",)},
                summary="The principal square root, element-wise.",
                rule="``d/dx = 1 / (2 * out)``"),
    elementwise("reciprocal", "floating-point", d=lambda ns, x, out: -out * out,
                reads={"x": ("out",)},
                summary="The reciprocal ``1 / x``, element-wise.",
                rule="``d/dx = -out**2``"),
    # abs is real-valued on complex inputs: PyTorch's gradient is ct * sgn(x)
    Op("abs", "numeric", vjp={"x": lambda ns, ct, x, out: ct * sgn(ns, x)},
       jvp={"x": _abs_jvp},
       summary="The absolute value (the modulus for complex numbers), element-wise.",
       rule=("The VJP is ``ct * sgn(x)`` (also for complex ``x``, whose ``abs`` is real), the "
             "JVP the matching real tangent.  Conventions: ``abs'(0) = 0``, and 0 at a NaN "
             "``x`` (PyTorch's ``sgn(nan)`` is 0).")),
    elementwise("remainder", "real numeric",
                d={"x1": lambda ns, x1, x2, out: ns.ones_like(x1),
                   "x2": lambda ns, x1, x2, out: -ns.floor_divide(x1, x2)},
                summary=("The remainder of ``x1 / x2`` with the sign of ``x2`` (Python's "
                         "``%``), element-wise."),
                rule=("``d/dx1 = 1``, ``d/dx2 = -floor_divide(x1, x2)`` (Python's floor "
                      "division: ``1 // -inf == -1``)")),
    zero_derivative("floor_divide", "real numeric", binary=True,
                    summary=("The largest integer not above ``x1 / x2`` (Python's ``//``), "
                             "element-wise.")),
    Op("sign", "numeric", reads=("x", "out"),
       vjp={"x": lambda ns, ct, x, out: _sgn_derivative(ns, ct, x, out)},
       jvp={"x": lambda ns, t, x, out: _sgn_derivative(ns, t, x, out)},
       summary="The sign of ``x`` (``x / |x|`` for complex ``x``), element-wise.",
       rule=("Real ``x``: zero derivative (exact zeros).  Complex ``x``: ``sgn``'s derivative "
             "``(g - sgn(z)**2 * conj(g)) / (2 |z|)``, 0 at ``z == 0`` (PyTorch's "
             "``sgn_backward``).")),
    zero_derivative("floor", "real numeric",
                    summary="Round toward negative infinity, element-wise."),
    zero_derivative("ceil", "real numeric",
                    summary="Round toward positive infinity, element-wise."),
    zero_derivative("trunc", "real numeric",
                    summary="Round toward zero, element-wise."),
    zero_derivative("round", "numeric",
                    summary="Round to the nearest integer (halves to even), element-wise."),
    # --- exponentials and logarithms -------------------------------------------
    # rules reading only their output keep no input (as PyTorch's result-saving formulas)
    elementwise("exp", "floating-point", d=lambda ns, x, out: out,
                reads={"x": ("out",)},
                summary="The exponential ``e**x``, element-wise.",
                rule="``d/dx = out``"),
    elementwise("expm1", "floating-point", d=lambda ns, x, out: out + 1,
                reads={"x": ("out",)},
                summary="``exp(x) - 1``, accurate for small ``x``, element-wise.",
                rule="``d/dx = out + 1``"),
    elementwise("log", "floating-point", d=lambda ns, x, out: 1 / x,
                summary="The natural logarithm, element-wise.",
                rule="``d/dx = 1 / x``"),
    elementwise("log1p", "floating-point", d=lambda ns, x, out: 1 / (x + 1),
                summary="``log(1 + x)``, accurate for small ``x``, element-wise.",
                rule="``d/dx = 1 / (1 + x)``"),
    elementwise("log2", "floating-point", d=lambda ns, x, out: 1 / (x * 0.6931471805599453),
                summary="The base-2 logarithm, element-wise.",
                rule="``d/dx = 1 / (x * log(2))``"),
    elementwise("log10", "floating-point", d=lambda ns, x, out: 1 / (x * 2.302585092994046),
                summary="The base-10 logarithm, element-wise.",
                rule="``d/dx = 1 / (x * log(10))``"),
    # PyTorch's form 1 / (1 + exp(other - self)), finite where both are infinite of
    # opposite signs (exp(x1 - out) would be exp(inf - inf))
    elementwise("logaddexp", "real floating-point",
                d={"x1": lambda ns, x1, x2, out: 1 / (1 + ns.exp(x2 - x1)),
                   "x2": lambda ns, x1, x2, out: 1 / (1 + ns.exp(x1 - x2))},
                summary="``log(exp(x1) + exp(x2))``, computed without overflow, element-wise.",
                rule=("``d/dx1 = 1 / (1 + exp(x2 - x1))``, ``d/dx2 = 1 / (1 + exp(x1 - x2))`` "
                      "(finite where both are infinite of opposite signs)")),
    elementwise("hypot", "real floating-point",
                d={"x1": lambda ns, x1, x2, out: x1 / out,
                   "x2": lambda ns, x1, x2, out: x2 / out},
                reads=("x1", "x2", "out"),
                summary=("The length of the hypotenuse ``sqrt(x1**2 + x2**2)``, without "
                         "overflow, element-wise."),
                rule="``d/dx1 = x1 / out``, ``d/dx2 = x2 / out``"),
    # --- trigonometric and hyperbolic -----------------------------------------
    elementwise("sin", "floating-point", d=lambda ns, x, out: ns.cos(x),
                summary="The sine, element-wise.",
                rule="``d/dx = cos(x)``"),
    elementwise("cos", "floating-point", d=lambda ns, x, out: -ns.sin(x),
                summary="The cosine, element-wise.",
                rule="``d/dx = -sin(x)``"),
    elementwise("tan", "floating-point", d=lambda ns, x, out: 1 + out * out,
                reads={"x": ("out",)},
                summary="The tangent, element-wise.",
                rule="``d/dx = 1 + out**2``"),
    elementwise("asin", "floating-point", d=lambda ns, x, out: 1 / ns.sqrt(1 - x * x),
                summary="The inverse sine, element-wise.",
                rule="``d/dx = 1 / sqrt(1 - x**2)``"),
    elementwise("acos", "floating-point", d=lambda ns, x, out: -1 / ns.sqrt(1 - x * x),
                summary="The inverse cosine, element-wise.",
                rule="``d/dx = -1 / sqrt(1 - x**2)``"),
    elementwise("atan", "floating-point", d=lambda ns, x, out: 1 / (1 + x * x),
                summary="The inverse tangent, element-wise.",
                rule="``d/dx = 1 / (1 + x**2)``"),
    elementwise("atan2", "real floating-point",
                d={"x1": lambda ns, x1, x2, out: _atan2_d(ns, x2, x1, x2),
                   "x2": lambda ns, x1, x2, out: _atan2_d(ns, -x1, x1, x2)},
                summary=("The quadrant-aware inverse tangent of ``x1 / x2`` (in radians), "
                         "element-wise."),
                rule=("``d/dx1 = x2 / (x1**2 + x2**2)``, ``d/dx2 = -x1 / (x1**2 + x2**2)``, both 0 "
                      "at the origin (as PyTorch)")),
    elementwise("sinh", "floating-point", d=lambda ns, x, out: ns.cosh(x),
                summary="The hyperbolic sine, element-wise.",
                rule="``d/dx = cosh(x)``"),
    elementwise("cosh", "floating-point", d=lambda ns, x, out: ns.sinh(x),
                summary="The hyperbolic cosine, element-wise.",
                rule="``d/dx = sinh(x)``"),
    elementwise("tanh", "floating-point", d=lambda ns, x, out: 1 - out * out,
                reads={"x": ("out",)},
                summary="The hyperbolic tangent, element-wise.",
                rule="``d/dx = 1 - out**2``"),
    elementwise("asinh", "floating-point", d=lambda ns, x, out: 1 / ns.sqrt(x * x + 1),
                summary="The inverse hyperbolic sine, element-wise.",
                rule="``d/dx = 1 / sqrt(x**2 + 1)``"),
    elementwise("acosh", "floating-point", d=lambda ns, x, out: 1 / ns.sqrt(x * x - 1),
                summary="The inverse hyperbolic cosine, element-wise.",
                rule="``d/dx = 1 / sqrt(x**2 - 1)``"),
    elementwise("atanh", "floating-point", d=lambda ns, x, out: 1 / (1 - x * x),
                summary="The inverse hyperbolic tangent, element-wise.",
                rule="``d/dx = 1 / (1 - x**2)``"),
    # --- min/max and clipping ---------------------------------------------------
    Op("maximum", "real numeric", signature="x1, x2, /", arrays=("x1", "x2"),
       reads={"x1": ("x1", "x2"), "x2": ("x1", "x2")},
       vjp={"x1": lambda ns, ct, x1, x2, out: _min_max_vjp(ns, ct, x1, x2, x1 < x2),
            "x2": lambda ns, ct, x1, x2, out: _min_max_vjp(ns, ct, x1, x2, x1 > x2)},
       jvp=lambda ns, tangents, x1, x2, out: _min_max_jvp(ns, tangents, x1, x2, x1 > x2),
       summary="The larger of ``x1`` and ``x2``, element-wise.",
       rule=("The cotangent goes to the larger argument; the other gets an exact 0 (even for a "
             "NaN cotangent, as PyTorch's ``masked_fill``).  The JVP is ``t2 + w * (t1 - t2)`` "
             "with ``w`` 1, 0 or 1/2.  Conventions: ties (``x1 == x2``) split the cotangent "
             "evenly, half to each; a NaN operand receives the cotangent.")),
    Op("minimum", "real numeric", signature="x1, x2, /", arrays=("x1", "x2"),
       reads={"x1": ("x1", "x2"), "x2": ("x1", "x2")},
       vjp={"x1": lambda ns, ct, x1, x2, out: _min_max_vjp(ns, ct, x1, x2, x1 > x2),
            "x2": lambda ns, ct, x1, x2, out: _min_max_vjp(ns, ct, x1, x2, x1 < x2)},
       jvp=lambda ns, tangents, x1, x2, out: _min_max_jvp(ns, tangents, x1, x2, x1 < x2),
       summary="The smaller of ``x1`` and ``x2``, element-wise.",
       rule=("The cotangent goes to the smaller argument; the other gets an exact 0 (even for "
             "a NaN cotangent, as PyTorch's ``masked_fill``).  The JVP is ``t2 + w * (t1 - "
             "t2)`` with ``w`` 1, 0 or 1/2.  Conventions: ties (``x1 == x2``) split the "
             "cotangent evenly, half to each; a NaN operand receives the cotangent.")),
    Op("clip", "real numeric", signature="x, /, min=None, max=None",
       arrays=("x", "min", "max"), vjp=_clip_vjp, jvp=_clip_jvp,
       summary="``x`` clamped to the range ``[min, max]``, element-wise.",
       rule=("The cotangent goes to ``x`` where ``min <= x <= max`` (bounds included), to an "
             "array ``min`` where ``x < min`` and ``min < max``, to an array ``max`` where ``x "
             "> max`` or ``max < min``; the JVP selects the tangents the same way."),
       source="PyTorch's ``clamp_backward_min_max``"),
    # x2: PyTorch's zeros_like (structural zeros, in both modes)
    (lambda op: replace(op, vjp={**op.vjp, "x2": _zeros_vjp},
                        jvp={**op.jvp, "x2": _zeros_jvp}))(
        elementwise("copysign", "real floating-point", d={"x1": _copysign_d_x1},
                    reads={"x1": ("x1", "out")},
                    summary="The magnitude of ``x1`` with the sign of ``x2``, element-wise.",
                    rule=("``d/dx1 = out / x1``, 0 at ``x1 == 0``; ``x2`` gets exact zeros (a "
                          "NaN cotangent gives 0, as PyTorch's ``zeros_like``)"))),
    # --- complex parts ----------------------------------------------------------
    Op("real", "numeric", reads=(), view=True, vjp={"x": _real_vjp},
       jvp={"x": lambda ns, t, x, out: ns.real(t)},
       summary="The real part of each element.",
       rule=("The VJP is the real cotangent, cast to complex for a complex input; the JVP is "
             "``real(t)``.")),
    Op("imag", "numeric", reads=(), vjp={"x": _imag_vjp},
       jvp={"x": lambda ns, t, x, out: ns.imag(t)},
       summary="The imaginary part of each element.",
       rule="The VJP is ``ct * 1j``, the JVP ``imag(t)``."),
    Op("conj", "numeric", reads=(), vjp={"x": _conj_vjp},
       jvp={"x": lambda ns, t, x, out: conj(ns, t)},
       summary="The complex conjugate of each element.",
       rule="The VJP is ``conj(ct)``, the JVP ``conj(t)``."),
    # --- no derivative: comparisons, predicates, logical and bitwise ----------
    nondifferentiable_binary("equal", "any",
                             summary="Whether ``x1 == x2``, element-wise."),
    nondifferentiable_binary("not_equal", "any",
                             summary="Whether ``x1 != x2``, element-wise."),
    nondifferentiable_binary("less", "real numeric",
                             summary="Whether ``x1 < x2``, element-wise."),
    nondifferentiable_binary("less_equal", "real numeric",
                             summary="Whether ``x1 <= x2``, element-wise."),
    nondifferentiable_binary("greater", "real numeric",
                             summary="Whether ``x1 > x2``, element-wise."),
    nondifferentiable_binary("greater_equal", "real numeric",
                             summary="Whether ``x1 >= x2``, element-wise."),
    nondifferentiable("isfinite", "numeric",
                      summary="Whether each element is finite (not infinite, not NaN)."),
    nondifferentiable("isinf", "numeric",
                      summary="Whether each element is positive or negative infinity."),
    nondifferentiable("isnan", "numeric",
                      summary="Whether each element is NaN."),
    nondifferentiable("signbit", "real floating-point",
                      summary="Whether the sign bit of each element is set (true for ``-0.0``)."),
    # PyTorch's NextafterBackward: the cotangent for x1 where x1 != x2, zeros for x2
    Op("nextafter", "real floating-point", signature="x1, x2, /", arrays=("x1", "x2"),
       reads={"x1": ("x1", "x2"), "x2": ()},
       vjp={"x1": lambda ns, ct, x1, x2, out: _where0(ns, x1 == x2, ct), "x2": _zeros_vjp},
       jvp={"x1": lambda ns, t, x1, x2, out: _where0(ns, x1 == x2, t), "x2": _zeros_jvp},
       summary=("The next representable floating-point value after ``x1`` toward ``x2``, "
                "element-wise."),
       rule=("``ct`` (``t``) for ``x1`` where ``x1 != x2``, exact zeros where they are equal "
             "(the result is ``x2`` there); exact zeros for ``x2``, in both modes."),
       source="PyTorch 2.13's ``NextafterBackward`` and its forward gradient"),
    nondifferentiable_binary("logical_and", "boolean",
                             summary="Logical AND of ``x1`` and ``x2``, element-wise."),
    nondifferentiable_binary("logical_or", "boolean",
                             summary="Logical OR of ``x1`` and ``x2``, element-wise."),
    nondifferentiable_binary("logical_xor", "boolean",
                             summary="Logical XOR of ``x1`` and ``x2``, element-wise."),
    nondifferentiable("logical_not", "boolean",
                      summary="Logical NOT of ``x``, element-wise."),
    nondifferentiable_binary("bitwise_and", "integer or boolean",
                             summary="Bitwise AND of ``x1`` and ``x2``, element-wise."),
    nondifferentiable_binary("bitwise_or", "integer or boolean",
                             summary="Bitwise OR of ``x1`` and ``x2``, element-wise."),
    nondifferentiable_binary("bitwise_xor", "integer or boolean",
                             summary="Bitwise XOR of ``x1`` and ``x2``, element-wise."),
    nondifferentiable_binary("bitwise_left_shift", "integer",
                             summary="Shift the bits of ``x1`` left by ``x2``, element-wise."),
    nondifferentiable_binary("bitwise_right_shift", "integer",
                             summary="Shift the bits of ``x1`` right by ``x2``, element-wise."),
    nondifferentiable("bitwise_invert", "integer or boolean",
                      summary="Bitwise NOT of ``x``, element-wise."),
)
# every element-wise function batches by broadcasting (see _batching.py)
ELEMENTWISE_OPS = tuple(op if op.batch else replace(op, batch=_batching.elementwise)
                        for op in ELEMENTWISE_OPS)

OPS_BY_NAME = {op.name: op for op in ELEMENTWISE_OPS}

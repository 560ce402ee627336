"""OpInfo records for the elementwise section (see _core.py for the fields).

Spec: https://data-apis.org/array-api/latest/API_specification/elementwise_functions.html

Domains keep samples where the function is differentiable (``log`` on
positives, ``acos`` inside (-1, 1), ``acosh`` above 1...).  Ops whose
convention at a kink or tie matters get those points on purpose (``abs`` at 0,
``maximum`` ties) with ``smooth=False`` so finite differences are not taken
across the kink.  Complex samples add a random imaginary part in (-1, 1).
"""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import strategies as st

from ._core import OpInfo, Sample, shape_strategy, values  # noqa: F401

_REAL = ("float64", "float32")
_COMPLEX = ("float64", "float32", "complex128")
_POSITIVE = (0.2, 3.0)
_UNIT = (-0.9, 0.9)


def _unary(name, domain=(-2.0, 2.0), dtypes=_COMPLEX, **kwargs) -> OpInfo:
    return OpInfo(name, "unary", domain=domain, dtypes=dtypes, **kwargs)


def _binary(name, domain=(-2.0, 2.0), dtypes=_COMPLEX, **kwargs) -> OpInfo:
    return OpInfo(name, "binary", domain=domain, dtypes=dtypes, **kwargs)


def _nondifferentiable(name, family="unary", dtypes=_REAL, **kwargs) -> OpInfo:
    return OpInfo(name, family, differentiable=False, dtypes=dtypes, **kwargs)


def _clip_sample(draw) -> Sample:
    """x with array bounds (min below max, broadcasting), scalar bounds, or one bound."""
    shape = draw(shape_strategy(allow_empty=False))
    x = values(draw, shape)
    kind = draw(st.sampled_from(["arrays", "scalars", "min", "max"]))
    if kind == "arrays":
        low = values(draw, shape[-1:], (-1.5, -0.1))
        high = values(draw, shape[-1:], (0.1, 1.5))
        return Sample((x, low, high))
    if kind == "scalars":
        return Sample((x, -0.5, 0.5))
    if kind == "min":
        return Sample((x,), {"min": -0.5})
    return Sample((x,), {"max": 0.5})


def _clip_edges():
    """Special values against array bounds (including bounds in the wrong order and
    ties with a bound) and against scalar bounds."""
    special = np.asarray([0.0, -0.0, 1.0, -1.5, np.inf, -np.inf, np.nan, -0.5, 0.5])
    x = np.repeat(special, 4)
    low = np.tile([-0.5, 0.5, -np.inf, np.nan], special.size)
    high = np.tile([0.5, -0.5, np.inf, 1.0], special.size)
    return [Sample((x, low, high), label="array bounds", cotangents=("mixed",)),
            Sample((special,), {"min": -0.5, "max": 0.5}, label="scalar bounds",
                   cotangents=("mixed",))]


OPINFOS: tuple[OpInfo, ...] = (
    # --- arithmetic -----------------------------------------------------------------
    _binary("add"),
    _binary("subtract"),
    _binary("multiply"),
    _binary("divide", domain=((-2.0, 2.0), (0.5, 2.0))),
    _unary("negative"),
    _unary("positive"),
    # real base > 0 keeps pow differentiable in both arguments; pow's 0 conventions are
    # the exponent mask (0 ** x2, x2 >= 0) checked in tests of the machinery
    _binary("pow", domain=((0.3, 2.0), (-2.0, 2.0))),
    _unary("square"),
    _unary("sqrt", domain=_POSITIVE),
    _unary("reciprocal", domain=(0.3, 2.0)),
    # abs'(0) = 0 (PyTorch's sgn); 0 is sampled on purpose, so no finite differences
    _unary("abs", special=(0.0,), smooth=False),
    _binary("remainder", domain=((-3.0, 3.0), (0.5, 2.0)), dtypes=_REAL, smooth=False),
    # torch.floor_divide has no derivative; div(rounding_mode="floor") is the same
    # function with PyTorch's zero derivative
    _binary("floor_divide", domain=((-3.0, 3.0), (0.5, 2.0)), dtypes=_REAL, smooth=False,
            ref=lambda x1, x2: torch.div(x1, x2, rounding_mode="floor")),
    # complex sign has sgn's derivative; array_api_compat.torch.sign computes x / |x|,
    # so torch.sgn (the same values, PyTorch's own derivative) is the reference
    _unary("sign", ref=torch.sgn, smooth=False),
    _unary("floor", dtypes=_REAL, smooth=False),
    _unary("ceil", dtypes=_REAL, smooth=False),
    _unary("trunc", dtypes=_REAL, smooth=False),
    _unary("round", smooth=False),
    # --- exponentials and logarithms ------------------------------------------------------
    _unary("exp"),
    _unary("expm1"),
    _unary("log", domain=_POSITIVE),
    _unary("log1p", domain=(-0.8, 2.0)),
    _unary("log2", domain=_POSITIVE),
    _unary("log10", domain=_POSITIVE),
    _binary("logaddexp", dtypes=_REAL),
    _binary("hypot", domain=(0.2, 2.0), dtypes=_REAL),
    # --- trigonometric and hyperbolic -----------------------------------------------------
    _unary("sin"),
    _unary("cos"),
    _unary("tan", domain=(-1.2, 1.2)),
    _unary("asin", domain=_UNIT),
    _unary("acos", domain=_UNIT),
    _unary("atan"),
    _binary("atan2", domain=(0.2, 2.0), dtypes=_REAL),
    _unary("sinh"),
    _unary("cosh"),
    _unary("tanh"),
    _unary("asinh"),
    _unary("acosh", domain=(1.2, 3.0)),
    _unary("atanh", domain=_UNIT),
    # --- min/max, clipping, sign copying -----------------------------------------------
    # ties split evenly (half to each), as PyTorch: ties are sampled on purpose
    _binary("maximum", dtypes=_REAL, ties=True, smooth=False),
    _binary("minimum", dtypes=_REAL, ties=True, smooth=False),
    OpInfo("clip", "custom", sample=_clip_sample, dtypes=_REAL, smooth=False,
           edges=_clip_edges),
    _binary("copysign", dtypes=_REAL),
    # --- complex parts --------------------------------------------------------------------
    _unary("real"),
    _unary("imag", dtypes=("complex128",)),
    _unary("conj"),
    # --- no derivative ----------------------------------------------------------------
    _nondifferentiable("equal", "binary"),
    _nondifferentiable("not_equal", "binary"),
    _nondifferentiable("less", "binary"),
    _nondifferentiable("less_equal", "binary"),
    _nondifferentiable("greater", "binary"),
    _nondifferentiable("greater_equal", "binary"),
    _nondifferentiable("isfinite"),
    _nondifferentiable("isinf"),
    _nondifferentiable("isnan"),
    _nondifferentiable("signbit"),
    _nondifferentiable("logical_and", "binary", dtypes=("bool",)),
    _nondifferentiable("logical_or", "binary", dtypes=("bool",)),
    _nondifferentiable("logical_xor", "binary", dtypes=("bool",)),
    _nondifferentiable("logical_not", dtypes=("bool",)),
    _nondifferentiable("bitwise_and", "binary", dtypes=("int64", "bool")),
    _nondifferentiable("bitwise_or", "binary", dtypes=("int64", "bool")),
    _nondifferentiable("bitwise_xor", "binary", dtypes=("int64", "bool")),
    _nondifferentiable("bitwise_invert", dtypes=("int64", "bool")),
    _nondifferentiable("bitwise_left_shift", "binary", dtypes=("int64",), domain=(0.0, 5.0)),
    _nondifferentiable("bitwise_right_shift", "binary", dtypes=("int64",), domain=(0.0, 5.0)),
    # PyTorch 2.13's NextafterBackward: the cotangent for x1, zeros for x2; a step
    # of one ulp, so no finite differences
    OpInfo("nextafter", "binary", dtypes=_REAL, smooth=False),
)

"""Data type functions.

Spec section: "Data Type Functions",
https://data-apis.org/array-api/latest/API_specification/data_type_functions.html

``astype`` is differentiable: the cotangent is cast back to the input's dtype
(the real part for a real input cast to complex, as PyTorch does).  The
others inspect dtypes and return the backend's own objects.
"""

from __future__ import annotations

import functools

from .._array_object import Array
from .._op import Op, linear


def _bind_inspection(op, ns):
    """``can_cast``, ``finfo``... : unwrap array arguments, return the backend's answer."""
    backend_function = getattr(ns._xp, op.name, None)
    if backend_function is None:
        return None

    @functools.wraps(backend_function)
    def function(*args, **kwargs):
        args = tuple(a._data if isinstance(a, Array) else a for a in args)
        kwargs = {k: (v._data if isinstance(v, Array) else v) for k, v in kwargs.items()}
        return backend_function(*args, **kwargs)

    function.__module__ = ns.__name__
    return function


def _inspection(name: str, signature: str) -> Op:
    return Op(name, "any", signature=signature, arrays=(), differentiable=False,
              saves=False, bind=_bind_inspection)


DATA_TYPE_OPS: tuple[Op, ...] = (
    # the tape casts the cotangent back to x's dtype
    linear("astype", "any", signature="x, dtype, /, *, copy=True, device=None",
           vjp={"x": lambda ns, ct, x, out, dtype, copy, device: ct}),
    _inspection("can_cast", "from_, to, /"),
    _inspection("finfo", "type, /"),
    _inspection("iinfo", "type, /"),
    _inspection("isdtype", "dtype, kind"),
    _inspection("result_type", "*arrays_and_dtypes"),
)

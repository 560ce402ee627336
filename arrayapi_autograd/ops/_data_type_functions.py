"""Data type functions.

Spec section: "Data Type Functions",
https://data-apis.org/array-api/latest/API_specification/data_type_functions.html

``astype`` is differentiable, as PyTorch's ``_to_copy``: the cotangent is cast
back to the input's dtype (``_to_copy_backward``: the real part for a real
input cast to complex, done by the tape's ``fit_cotangent``; a real cotangent
becomes complex with zero imaginary part for a complex input cast to real,
where the backend allows that cast).  The JVP casts the tangent the same way
(the real part for a complex-to-real cast).  A cast to an integer or boolean
dtype has no derivative and is not recorded.

The others inspect dtypes and return the backend's own objects; they accept
wrapped arrays wherever the standard accepts an array.
"""

from __future__ import annotations

from .. import _batching
from .._op import Op
from ._helpers import standard_signature
from ._results import device_when_given


def _bind_inspection(op, ns):
    """``can_cast``, ``finfo``... : unwrap array arguments, return the backend's answer."""
    backend_function = getattr(ns._xp, op.name, None)
    if backend_function is None:
        return None
    # the standard's parameters, whatever the backend's spelling (compat's finfo(type_, /))
    return standard_signature(op, ns, backend_function)


def _inspection(name: str, signature: str, **text) -> Op:
    return Op(name, "any", signature=signature, arrays=(), differentiable=False,
              reads=(), bind=_bind_inspection, **text)


def _astype_jvp(ns, t, x, out, dtype, copy, device):
    if ns._is_complex_dtype(t.dtype) and not ns._is_complex_dtype(dtype):
        t = ns.real(t)
    if device is not None:
        t = ns._to_device(t, device, None)
    return ns.astype(t, dtype)


DATA_TYPE_OPS: tuple[Op, ...] = (
    # the tape casts the cotangent back to x's dtype; a device transfer is undone
    Op("astype", "any", batch=_batching.elementwise, adapt=device_when_given,
       signature="x, dtype, /, *, copy=True, device=None", reads=(),
       view=lambda params: params["copy"] is False,  # then x itself may come back
       vjp={"x": lambda ns, ct, x, out, dtype, copy, device: (
           ct if device is None else ns._to_device(ct, x.device, None))},
       jvp={"x": _astype_jvp},
       summary="Copy (or cast) an array to the given dtype.",
       rule=("The VJP casts the cotangent back to the input's dtype (the real part for a real "
             "input cast to complex); the JVP casts the tangent (the real part for a "
             "complex-to-real cast).  A cast to an integer or boolean dtype has no derivative "
             "and is not recorded."),
       source="PyTorch's ``_to_copy`` and ``_to_copy_backward``"),
    _inspection("can_cast", "from_, to, /",
                summary=("Whether a cast from one dtype (or the dtype of an array) to another "
                         "is allowed by the type promotion rules.")),
    _inspection("finfo", "type, /",
                summary="Machine limits of a floating-point dtype."),
    _inspection("iinfo", "type, /",
                summary="Machine limits of an integer dtype."),
    _inspection("isdtype", "dtype, kind",
                summary=("Whether a dtype belongs to a given kind (``'real floating'``, "
                         "``'integral'``...).")),
    _inspection("result_type", "*arrays_and_dtypes",
                summary="The dtype that type promotion gives for the given arrays and dtypes."),
)

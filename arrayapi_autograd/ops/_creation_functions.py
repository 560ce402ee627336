"""Creation functions.

Spec section: "Creation Functions",
https://data-apis.org/array-api/latest/API_specification/creation_functions.html

Creation functions make new arrays and record nothing, except ``asarray`` of
a wrapped array (the same array, or a differentiable copy or cast), and the
linear ``tril``, ``triu`` and ``meshgrid``.
"""

from __future__ import annotations

from .. import _errors
from .._array_object import Array
from .._op import Op, creation, linear


def _unwrap_nested(obj, ns):
    """Replace wrapped arrays inside nested lists/tuples by their backend arrays."""
    if isinstance(obj, Array):
        if obj._ns is not ns:
            raise _errors.mixed_namespaces(ns, obj._ns)
        if obj._is_tracked():
            raise TypeError(
                "asarray() of a sequence that contains arrays requiring a gradient would "
                "drop their gradients; use stack() (differentiable) instead.")
        return obj._data
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unwrap_nested(o, ns) for o in obj)
    return obj


def _bind_asarray(op, ns):
    xp = ns._xp

    def asarray(obj, /, *, dtype=None, device=None, copy=None):
        """Convert ``obj`` to an array (array API ``asarray``).

        A wrapped array comes back as itself when nothing changes, otherwise
        as a differentiable copy, cast or device transfer; other objects
        (Python scalars and sequences, backend arrays, DLPack or buffer
        objects) become arrays without history.
        """
        if isinstance(obj, Array):
            if obj._ns is not ns:
                raise _errors.mixed_namespaces(ns, obj._ns)
            result = obj
            if device is not None and device != obj.device:
                result = result.to_device(device)
                copy = False if copy is None else copy
            if dtype is not None and dtype != result.dtype:
                if copy is False:
                    raise ValueError("asarray(copy=False) cannot change the dtype without a copy")
                return ns.astype(result, dtype)
            if copy:
                return ns.astype(result, result.dtype, copy=True)
            return result
        return ns._wrap(xp.asarray(_unwrap_nested(obj, ns), dtype=dtype, device=device,
                                   copy=copy))

    return asarray


_LIKE = "x, /, *, dtype=None, device=None"

CREATION_OPS: tuple[Op, ...] = (
    Op("asarray", "any", signature="obj, /, *, dtype=None, device=None, copy=None",
       arrays=(), differentiable=False, bind=_bind_asarray),
    creation("arange", "start, /, stop=None, step=1, *, dtype=None, device=None"),
    creation("empty", "shape, *, dtype=None, device=None"),
    creation("empty_like", _LIKE, arrays=("x",)),
    creation("eye", "n_rows, n_cols=None, /, *, k=0, dtype=None, device=None"),
    creation("from_dlpack", "x, /, *, device=None, copy=None"),
    creation("full", "shape, fill_value, *, dtype=None, device=None"),
    creation("full_like", "x, /, fill_value, *, dtype=None, device=None", arrays=("x",)),
    creation("linspace", "start, stop, /, num, *, dtype=None, device=None, endpoint=True"),
    creation("ones", "shape, *, dtype=None, device=None"),
    creation("ones_like", _LIKE, arrays=("x",)),
    creation("zeros", "shape, *, dtype=None, device=None"),
    creation("zeros_like", _LIKE, arrays=("x",)),
    linear("tril", "any", signature="x, /, *, k=0",
           vjp={"x": lambda ns, ct, x, out, k: ns.tril(ct, k=k)}),
    linear("triu", "any", signature="x, /, *, k=0",
           vjp={"x": lambda ns, ct, x, out, k: ns.triu(ct, k=k)}),
)

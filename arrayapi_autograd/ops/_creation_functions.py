"""Creation functions.

Spec section: "Creation Functions",
https://data-apis.org/array-api/latest/API_specification/creation_functions.html

Creation functions make new arrays and record nothing (a ``*_like`` function
of an array that requires a gradient gives an array without history, as in
PyTorch), except ``asarray`` of a wrapped array (the same array, or a
differentiable copy or cast through ``astype``), and the linear ``tril``,
``triu`` (VJP: the same mask applied to the cotangent) and ``meshgrid``
(multi-output; output ``i`` broadcasts input ``i``, so its VJP sums the
cotangent over every other axis, as PyTorch's ``meshgrid`` is differentiated
through ``expand``).  ``from_dlpack`` accepts wrapped arrays without history
(those with one refuse the export, as PyTorch's ``__dlpack__`` does).
"""

from __future__ import annotations

from .. import _errors
from .. import _batching
from .._array_object import Array
from .._batching import BatchedArray
from .._op import Op, creation, docstring, linear
from ._results import sequence_of_version


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
    if ns._check_requires_grad:
        ns._refuse_requires_grad(obj)  # a torch.Tensor with requires_grad=True
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unwrap_nested(o, ns) for o in obj)
    return obj


def _scalars_unwrapped(name: str, *scalars: str):
    """The backend's ``name``, given the backend arrays of wrapped ``scalars``.

    A 0-d array where the standard asks for a Python scalar (``full(shape,
    xp.asarray(1))``, ``arange(n)`` with ``n`` an array) is accepted by NumPy,
    PyTorch and array-api-strict; SciPy relies on it.  Ours passes the backend
    array on, so the result is the backend's own.  One that requires a gradient is
    refused, since a creation function records nothing.
    """

    def forward(xp, *args, **params):
        function = getattr(xp, name)
        positional = [p for p in scalars if p not in params]
        args = tuple(_backend_scalar(name, positional[i] if i < len(positional) else "",
                                     value) for i, value in enumerate(args))
        for key in scalars:
            if key in params:
                params[key] = _backend_scalar(name, key, params[key])
        return function(*args, **params)

    return forward


def _backend_scalar(op_name: str, param: str, value):
    if not isinstance(value, Array):
        return value
    if value.requires_grad or value._is_tracked():
        raise _errors.creation_from_tracked(op_name, param)
    return value._data


def _bind_asarray(op, ns):
    xp = ns._xp

    def asarray(obj, /, *, dtype=None, device=None, copy=None):
        # the docstring is the record's (_op.docstring)
        if isinstance(obj, BatchedArray):
            # every row converted alike: the physical array, batch axis kept
            return BatchedArray(asarray(obj._physical, dtype=dtype, device=device, copy=copy),
                                obj._level)
        if isinstance(obj, Array):
            if obj._ns is not ns:
                raise _errors.mixed_namespaces(ns, obj._ns)
            result = obj
            moved = device is not None and device != obj.device
            if moved:
                result = result.to_device(device)  # a copy already
            if dtype is not None and dtype != result.dtype:
                if copy is False:
                    raise ValueError("asarray(copy=False) cannot change the dtype without a copy")
                return ns.astype(result, dtype)
            if copy and not moved:
                return ns.astype(result, result.dtype, copy=True)
            return result
        return ns._wrap(xp.asarray(_unwrap_nested(obj, ns), dtype=dtype, device=device,
                                   copy=copy))

    asarray.__doc__ = docstring(op)
    return asarray


def _meshgrid_forward(xp, *arrays, indexing="xy"):
    return xp.meshgrid(*arrays, indexing=indexing)


def _meshgrid_axis(i, n, indexing):
    """The output axis along which input ``i`` of ``n`` varies."""
    if indexing == "xy" and n >= 2 and i < 2:
        return 1 - i
    return i


def _meshgrid_vjp(ns, ct, *arrays, out, needed, indexing):
    n = len(arrays)
    results = []
    for i, (c, x, need) in enumerate(zip(ct, arrays, needed)):
        if not need:
            results.append(None)
            continue
        keep = _meshgrid_axis(i, n, indexing)
        others = tuple(d for d in range(c.ndim) if d != keep)
        summed = ns.sum(c, axis=others) if others else c
        results.append(ns.reshape(summed, x.shape))
    return tuple(results)


def _meshgrid_jvp(ns, tangents, *arrays, out, indexing):
    filled = tuple(t if t is not None else ns.zeros_like(x) for t, x in zip(tangents, arrays))
    return ns.meshgrid(*filled, indexing=indexing)


_LIKE = "x, /, *, dtype=None, device=None"

CREATION_OPS: tuple[Op, ...] = (
    Op("asarray", "any", signature="obj, /, *, dtype=None, device=None, copy=None",
       arrays=(), differentiable=False, bind=_bind_asarray,
       summary=("Convert an object (array, Python scalar or nested sequence, buffer) to an "
                "array."),
       doc=("A wrapped array comes back as itself when nothing changes, otherwise as a "
            "differentiable copy, cast (``astype``) or device transfer; other objects (Python "
            "scalars and sequences, backend arrays, DLPack or buffer objects) become arrays "
            "without history.")),
    creation("arange", "start, /, stop=None, step=1, *, dtype=None, device=None",
             forward=_scalars_unwrapped("arange", "start", "stop", "step"),
             summary=("Evenly spaced values in the half-open interval ``[start, stop)``, "
                      "``step`` apart.")),
    creation("empty", "shape, *, dtype=None, device=None",
             summary="A new array of the given shape with uninitialized contents."),
    creation("empty_like", _LIKE, arrays=("x",), batch=_batching.like,
             summary=("An uninitialized array with the shape (and by default the dtype) of "
                      "``x``.")),
    creation("eye", "n_rows, n_cols=None, /, *, k=0, dtype=None, device=None",
             summary=("A two-dimensional array with ones on the ``k``-th diagonal and zeros "
                      "elsewhere.")),
    creation("from_dlpack", "x, /, *, device=None, copy=None",
             summary="An array from an object that supports the DLPack protocol."),
    creation("full", "shape, fill_value, *, dtype=None, device=None",
             forward=_scalars_unwrapped("full", "fill_value"),
             summary="A new array of the given shape filled with ``fill_value``."),
    creation("full_like", "x, /, fill_value, *, dtype=None, device=None", arrays=("x",),
             batch=_batching.like, forward=_scalars_unwrapped("full_like", "fill_value"),
             summary="An array with the shape of ``x`` filled with ``fill_value``."),
    creation("linspace", "start, stop, /, num, *, dtype=None, device=None, endpoint=True",
             forward=_scalars_unwrapped("linspace", "start", "stop"),
             summary=("``num`` evenly spaced numbers over the interval from ``start`` to "
                      "``stop``.")),
    Op("meshgrid", "numeric", signature="*arrays, indexing='xy'", arrays=("arrays",),
       sequence=True, forward=_meshgrid_forward, adapt=sequence_of_version, reads=(),
       vjp=_meshgrid_vjp, jvp=_meshgrid_jvp,
       summary="Coordinate matrices from coordinate vectors.",
       rule=("Output ``i`` broadcasts input ``i``: its VJP sums the cotangent over every other "
             "axis, its JVP broadcasts the tangent the same way (PyTorch differentiates "
             "``meshgrid`` through ``expand``).")),
    creation("ones", "shape, *, dtype=None, device=None",
             summary="A new array of the given shape filled with ones."),
    creation("ones_like", _LIKE, arrays=("x",), batch=_batching.like,
             summary="An array of ones with the shape of ``x``."),
    creation("zeros", "shape, *, dtype=None, device=None",
             summary="A new array of the given shape filled with zeros."),
    creation("zeros_like", _LIKE, arrays=("x",), batch=_batching.like,
             summary="An array of zeros with the shape of ``x``."),
    linear("tril", "any", batch=_batching.elementwise, signature="x, /, *, k=0",
           vjp={"x": lambda ns, ct, x, out, k: ns.tril(ct, k=k)},
           summary=("The lower triangle of a matrix (or a stack of matrices), zeros above the "
                    "``k``-th diagonal."),
           rule="applies the same mask to the cotangent: ``tril(ct, k=k)``"),
    linear("triu", "any", batch=_batching.elementwise, signature="x, /, *, k=0",
           vjp={"x": lambda ns, ct, x, out, k: ns.triu(ct, k=k)},
           summary=("The upper triangle of a matrix (or a stack of matrices), zeros below the "
                    "``k``-th diagonal."),
           rule="applies the same mask to the cotangent: ``triu(ct, k=k)``"),
)

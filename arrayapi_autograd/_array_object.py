"""The wrapped array object and the dispatcher every operation goes through.

Spec section: "Array object",
https://data-apis.org/array-api/latest/API_specification/array_object.html

An :class:`Array` holds one backend array (``_data``) and the bookkeeping of
differentiation: the node that produced it on the tape (``_node``, or a
:class:`~arrayapi_autograd._tape.Leaf` for a variable), which output of that
node it is (``_index``), a version counter shared with its views
(``_version``), and the forward-mode tangents it carries, one per open level
(``_tangents``).

:func:`_call` is the single entry point of every operation: it unwraps the
inputs, runs the backend's forward, and only when an input is tracked (in a
graph or carrying a tangent) records a node and computes tangents.
"""

from __future__ import annotations

import math
import operator
import weakref
from typing import Any

from . import _errors
from . import _tape

_SCALARS = (int, float, complex, bool)
_EMPTY: dict = {}
_new = object.__new__


class Array:
    """A backend array that records the operations applied to it.

    Created by the functions of a wrapped namespace (``ns.asarray``,
    ``ns.arange``, ...), never directly.  Every attribute, method and operator
    of the standard's array object is available and returns wrapped arrays of
    the same namespace.

    Examples
    --------
    >>> import arrayapi_autograd.numpy as xp
    >>> x = xp.arange(4.0)
    >>> x.attach_grad()
    >>> y = 2 * xp.vecdot(x, x)
    >>> y.backward()
    >>> x.grad
    Array([ 0.,  4.,  8., 12.], dtype=float64, backend=numpy)
    """

    __slots__ = ("_data", "_ns", "_node", "_index", "_version", "_tangents", "__weakref__")
    __array_priority__ = 1000  # NumPy defers binary operators to us

    # --- construction -------------------------------------------------------

    @classmethod
    def _from_node(cls, data, ns, node, index, version=None, tangents=None) -> "Array":
        self = object.__new__(cls)
        self._data = data
        self._ns = ns
        self._node = node
        self._index = index
        self._version = version if version is not None else [0]
        self._tangents = tangents
        return self

    def _snapshot(self, share_version: bool = True) -> "Array":
        """A second wrapper of the same data and history (for in-place updates)."""
        version = self._version if share_version else [self._version[0]]
        return Array._from_node(self._data, self._ns, self._node, self._index, version,
                                self._tangents)

    # --- attributes ---------------------------------------------------------

    @property
    def dtype(self):
        """Data type of the array elements (the backend's dtype object)."""
        return self._data.dtype

    @property
    def shape(self) -> tuple:
        """Array dimensions, a tuple of ints (``None`` for unknown sizes)."""
        return tuple(self._data.shape)

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return self._data.ndim

    @property
    def size(self):
        """Number of elements, or ``None`` when a dimension is unknown."""
        return self._ns._size(self._data)

    @property
    def device(self):
        """The backend's device object of this array."""
        return self._ns._device(self._data)

    @property
    def T(self) -> "Array":
        """Transpose of a 2-D array (differentiable)."""
        if self.ndim != 2:
            raise _errors.transpose_not_2d(self.ndim)
        return self._ns.permute_dims(self, (1, 0))

    @property
    def mT(self) -> "Array":
        """Transpose of the last two axes (differentiable)."""
        return self._ns.matrix_transpose(self)

    def to_device(self, device, /, *, stream=None) -> "Array":
        """Copy to ``device``; differentiable (the cotangent moves back)."""
        return self._ns._to_device(self, device, stream)

    def __array_namespace__(self, /, *, api_version=None):
        """The wrapped namespace, so array_api_compat.array_namespace(x) finds us."""
        if api_version is not None and api_version != self._ns.__array_api_version__:
            ns = self._ns
            supported = getattr(ns._xp, "__array_api_version__", None)
            if api_version not in ("2021.12", "2022.12", "2023.12", "2024.12", "2025.12") or \
                    (supported and api_version > supported):
                raise _errors.unsupported_api_version(api_version, ns.__array_api_version__)
        return self._ns

    # --- differentiation ------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow into this array (a variable or a recorded result)."""
        return self._node is not None

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    @property
    def is_leaf(self) -> bool:
        """True for arrays not produced by a recorded operation."""
        return not isinstance(self._node, _tape.Node)

    @property
    def grad(self):
        """The gradient accumulated by backward: an Array of this shape and dtype, or None.

        After ``attach_grad()`` it starts as zeros (MXNet); after
        ``requires_grad_()`` it is ``None`` until the first backward (PyTorch).
        Intermediate results have no ``grad`` (use ``autograd.grad``).
        """
        node = self._node
        if isinstance(node, _tape.Leaf):
            return node.grad
        return None

    @grad.setter
    def grad(self, value) -> None:
        node = self._node
        if not isinstance(node, _tape.Leaf):
            raise _errors.grad_of_non_leaf()
        if value is not None:
            if not isinstance(value, Array):
                value = self._ns.asarray(value)
            if value.shape != self.shape:
                raise _errors.grad_shape(value.shape, self.shape)
        node.grad = value

    def _check_differentiable_dtype(self) -> None:
        if not self._ns._is_float_dtype(self.dtype):
            raise _errors.not_differentiable_dtype(self)

    def attach_grad(self, grad_req: str = "write", stype=None) -> None:
        """Mark this array as a variable (MXNet's ``attach_grad``).

        Parameters
        ----------
        grad_req : {"write", "add", "null"}
            ``"write"``: each backward overwrites ``grad``; ``"add"``: each
            backward adds to it; ``"null"``: no gradient (detaches).

        Raises
        ------
        TypeError
            The array is not floating-point or complex.
        ValueError
            ``grad_req`` is not one of the three names.
        """
        if grad_req not in ("write", "add", "null"):
            raise _errors.bad_grad_req(grad_req)
        if grad_req == "null":
            self._node = None
            self._index = 0
            return
        self._check_differentiable_dtype()
        self._node = _tape.Leaf(grad_req, self._ns.zeros_like(self.detach()))
        self._index = 0

    def requires_grad_(self, requires_grad: bool = True) -> "Array":
        """Make this array a variable whose ``grad`` accumulates (PyTorch's ``requires_grad_``).

        Raises
        ------
        TypeError
            The array is not floating-point or complex.
        RuntimeError
            ``requires_grad_(False)`` on a recorded (non-leaf) result.
        """
        if requires_grad:
            if isinstance(self._node, _tape.Leaf):
                return self
            if self._node is not None:
                return self  # a recorded result already requires grad
            self._check_differentiable_dtype()
            self._node = _tape.Leaf("accumulate")
            self._index = 0
        else:
            if isinstance(self._node, _tape.Node):
                raise _errors.requires_grad_false_on_result()
            self._node = None
        return self

    def detach(self) -> "Array":
        """The same values without history (shares memory, like PyTorch's ``detach``)."""
        return Array._from_node(self._data, self._ns, None, 0, self._version, None)

    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False, *, out_grad=None, train_mode=None) -> None:
        """Accumulate the gradient of this array into the variables it depends on.

        Parameters
        ----------
        gradient : Array, optional
            The head gradient, of this array's shape.  ``None`` means ones:
            a non-scalar array is summed first (MXNet's behaviour).
        retain_graph : bool, optional
            Keep the graph for another backward; defaults to ``create_graph``.
        create_graph : bool
            Record the backward pass so the gradients can be differentiated.

        Raises
        ------
        RuntimeError
            This array is not in a recorded graph, the graph was freed by an
            earlier backward, or a saved array was modified in place.
        ValueError
            ``gradient`` has a different shape.
        """
        if gradient is None:
            gradient = out_grad
        if retain_graph is None:
            retain_graph = create_graph
        _tape.backward([self], [gradient], retain_graph=retain_graph,
                       create_graph=create_graph)

    def register_hook(self, hook):
        """Call ``hook(ct)`` with the cotangent reaching this array during backward.

        The hook may return a replacement cotangent.  Returns a handle whose
        ``remove()`` unregisters it.
        """
        if not callable(hook):
            raise _errors.hook_not_callable(hook)
        node = self._node
        if node is None:
            raise _errors.hook_without_grad()
        if isinstance(node, _tape.Leaf):
            if node.hooks is None:
                node.hooks = []
            hooks = node.hooks
        else:
            if node.hooks is None:
                node.hooks = {}
            hooks = node.hooks.setdefault(self._index, [])
        hooks.append(hook)
        return _HookHandle(hooks, hook)

    # --- conversion -----------------------------------------------------------

    def _is_tracked(self) -> bool:
        """In a recorded graph, or carrying the tangent of an open forward-mode level."""
        if self._node is not None:
            return True
        tangents = self._tangents
        if tangents:
            open_levels = _tape.state.open_levels
            return any(level in open_levels for level in tangents)
        return False

    def __bool__(self) -> bool:
        return bool(self._data)

    def __float__(self) -> float:
        return float(self._data)

    def __int__(self) -> int:
        return int(self._data)

    def __index__(self) -> int:
        return operator.index(self._data)

    def __complex__(self) -> complex:
        return complex(self._data)

    def __array__(self, dtype=None, copy=None):
        """``numpy.asarray(x)``: the values of an array without history.

        An array in a recorded graph (or carrying a forward-mode tangent)
        raises ``RuntimeError`` suggesting ``detach()``, so that a library
        converting to NumPy never drops a gradient silently (as PyTorch's
        ``Tensor.numpy()``).  ``copy=True`` always copies; ``copy=False``
        raises ``ValueError`` when ``dtype`` needs a copy (NumPy 2 protocol).
        """
        if self._is_tracked():
            raise _errors.converting_recorded_array(self)
        import numpy as np

        data = self._ns._to_numpy(self._data)
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise _errors.conversion_needs_copy(np.dtype(dtype))
            return data.astype(dtype)
        return data.copy() if copy else data

    def compute(self, **kwargs):
        """The values, computed: what the backend's ``compute`` returns, without history.

        For a lazy backend (Dask) this runs the task graph of this array, forward
        and backward alike (``x.grad.compute()``), and returns Dask's result, a
        NumPy array; ``kwargs`` go to Dask (``scheduler=...``).  Eager backends
        have nothing to compute: the backend array itself is returned.  Unlike
        ``numpy.asarray(x)`` this is allowed on recorded arrays: it is an
        explicit request for values (like ``y.item()`` in PyTorch).

        Examples
        --------
        >>> import arrayapi_autograd.numpy as xp
        >>> xp.arange(3.0).compute()
        array([0., 1., 2.])
        """
        data = self._data
        compute = getattr(data, "compute", None)
        if compute is None:
            return data
        return compute(**kwargs)

    def __dlpack__(self, /, *, stream=None, max_version=None, dl_device=None, copy=None):
        if self._is_tracked():
            raise _errors.export_recorded_array(self)
        # the standard's keyword-only parameters; only those given reach the backend,
        # whose defaults differ (PyTorch's stream=-1)
        kwargs = {k: v for k, v in (("stream", stream), ("max_version", max_version),
                                    ("dl_device", dl_device), ("copy", copy)) if v is not None}
        return self._data.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self._data.__dlpack_device__()

    def __repr__(self) -> str:
        ns = self._ns
        extra = ""
        if isinstance(self._node, _tape.Leaf):
            extra = ", requires_grad=True"
        elif self._node is not None:
            extra = f", node={self._node.op.name}"
        return f"Array({ns._format(self._data)}, dtype={ns._dtype_name(self.dtype)}, " \
               f"backend={ns._backend_name}{extra})"

    __str__ = __repr__

    def __len__(self) -> int:
        # from the shape: not every backend array has len() (array-api-strict)
        if self.ndim == 0:
            raise _errors.zero_d_sequence("len()")
        return self.shape[0]

    def __iter__(self):
        if self.ndim == 0:
            raise _errors.zero_d_sequence("iteration")
        return (self[i] for i in range(self.shape[0]))

    # --- indexing ---------------------------------------------------------------

    def __getitem__(self, key):
        from .ops import _array_methods as _ix

        key = _unwrap_key(key, self._ns)
        return _call(_ix.GETITEM, _ix.getitem_forward, self._ns, (self,), {"key": key})

    def __setitem__(self, key, value) -> None:
        from .ops import _array_methods as _ix

        ns = self._ns
        if type(value) is BatchedArray:
            raise _errors.batched_into_unbatched()
        key = _unwrap_key(key, ns)
        tracked = self._is_tracked() or (isinstance(value, Array) and value._is_tracked())
        if tracked and (_tape.state.recording or self._tangents or
                        (isinstance(value, Array) and value._tangents)):
            if _tape.state.recording and isinstance(self._node, _tape.Leaf):
                raise _errors.leaf_inplace(self)
            old = self._snapshot(share_version=False)
            # the backend writes into the buffer itself: every alias of it sees a new version
            new = _call(_ix.SETITEM, _ix.setitem_forward, ns, (old, value), {"key": key})
            self._version[0] += 1
            _assign_inplace(self, new, same_buffer=True)
            return
        if ns._check_requires_grad and not isinstance(value, Array):
            ns._refuse_requires_grad(value)
        self._data = _ix.setitem_forward(self._data, _unwrap(value, ns), key)
        self._version[0] += 1

    # --- operators: built below from the elementwise table ------------------------


class BatchedArray:
    """A stack of arrays seen as one: the cotangents or tangents of a batched pass.

    ``_physical`` is an :class:`Array` whose leading axis runs over the batch;
    this object stands for each of its slices, so its ``shape`` is the
    physical shape without that axis (the *logical* shape).  Every operation
    on it goes through the op record's batching rule (``Op.batch``, see
    ``_batching.py``), which computes all slices at once on the physical
    array, or loops over the slices when the record has no rule.  ``_level``
    orders nested batched passes: an operation meeting several levels is
    handled by the highest first, the others being plain values to it.

    Only the Jacobian transforms make these (one backward or forward pass
    with a stack of basis vectors); derivative rules and user-defined rules
    receive them as cotangents or tangents and compute with them as with
    arrays.
    """

    __slots__ = ("_physical", "_level", "_ns")
    __array_priority__ = 1001

    def __init__(self, physical: Array, level: int):
        self._physical = physical
        self._level = level
        self._ns = physical._ns

    @property
    def dtype(self):
        return self._physical.dtype

    @property
    def shape(self) -> tuple:
        return tuple(self._physical.shape[1:])

    @property
    def ndim(self) -> int:
        return self._physical.ndim - 1

    @property
    def size(self):
        return math.prod(self.shape)

    @property
    def device(self):
        return self._physical.device

    @property
    def T(self):
        if self.ndim != 2:
            raise _errors.transpose_not_2d(self.ndim)
        return self._ns.permute_dims(self, (1, 0))

    @property
    def mT(self):
        return self._ns.matrix_transpose(self)

    def __array_namespace__(self, /, *, api_version=None):
        return self._ns

    def detach(self) -> "BatchedArray":
        return BatchedArray(self._physical.detach(), self._level)

    def __getitem__(self, key):
        from .ops import _array_methods as _ix

        key = _unwrap_key(key, self._ns)
        return _call(_ix.GETITEM, _ix.getitem_forward, self._ns, (self,), {"key": key})

    def __setitem__(self, key, value) -> None:
        from . import _batching

        _batching.setitem(self, _unwrap_key(key, self._ns), value)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise _errors.zero_d_sequence("len()")
        return self.shape[0]

    def _value_dependent(self, what: str):
        raise _errors.value_of_batched(what)

    def __bool__(self):
        self._value_dependent("bool()")

    def __float__(self):
        self._value_dependent("float()")

    def __int__(self):
        self._value_dependent("int()")

    def __index__(self):
        self._value_dependent("operator.index()")

    def __complex__(self):
        self._value_dependent("complex()")

    def __array__(self, dtype=None, copy=None):
        self._value_dependent("Conversion to NumPy")

    def __dlpack__(self, *args, **kwargs):
        self._value_dependent("Export through DLPack")

    def to_device(self, device, /, *, stream=None) -> "BatchedArray":
        return BatchedArray(self._physical.to_device(device, stream=stream), self._level)

    def __repr__(self) -> str:
        return f"BatchedArray(level={self._level}, physical={self._physical!r})"


class _HookHandle:
    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks, hook):
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


def _view_node(array):
    """How ``array`` was made as a view of another: ``(base, op, params)``, or ``None``.

    From its recorded node, or, for a view taken while only forward-mode
    tangents were tracked (no node), from :data:`_FORWARD_VIEWS`.
    """
    node = array._node
    if type(node) is _tape.Node and node.view_version is not None and \
            node.primals is not None and isinstance(node.primals[0], Array):
        return node.primals[0], node.op, node.params
    if node is None and array._tangents:
        entry = _FORWARD_VIEWS.get(id(array))
        if entry is not None and entry[0]() is array:
            return entry[1:]
    return None


# Views taken while tangents were carried but nothing recorded (jvp, jacfwd), by id:
# (weak reference to the view, base, op, params), so that writing into the view also
# updates the base's tangent.  An entry goes with its view.
_FORWARD_VIEWS: dict = {}


def _remember_forward_view(view, base, op, params) -> None:
    key = id(view)
    ref = weakref.ref(view, lambda _, key=key: _FORWARD_VIEWS.pop(key, None))
    _FORWARD_VIEWS[key] = (ref, base, op, params)


def _permute_back(ns, new, axes):
    from .ops._manipulation_functions import inverse_permutation

    return ns.permute_dims(new, inverse_permutation(axes))


# How a view's new values map back onto its base, for the view ops whose
# result can be written through (the reshaping ones).
_WRITE_BACK = {
    "reshape": lambda ns, new, base, params: ns.reshape(new, base.shape),
    "expand_dims": lambda ns, new, base, params: ns.reshape(new, base.shape),
    "squeeze": lambda ns, new, base, params: ns.reshape(new, base.shape),
    "permute_dims": lambda ns, new, base, params: _permute_back(ns, new, params["axes"]),
    "matrix_transpose": lambda ns, new, base, params: ns.matrix_transpose(new),
}


def _assign_inplace(array, new, same_buffer: bool) -> None:
    """Make ``array`` hold ``new`` after a recorded in-place update.

    A view (made by basic indexing, ``reshape``, ``permute_dims``,
    ``expand_dims``, ``squeeze`` or ``matrix_transpose``) writes the update
    through to its base first (recorded there too) and is then taken again
    from the base, so the base sees it and gradients flow through it, as
    PyTorch's view rebasing does.  Views that cannot be written through
    (``flip``, ``broadcast_to``, ``real``...) raise instead.

    ``same_buffer`` says whether ``new`` lives in ``array``'s old buffer
    (``__setitem__``, whose caller already bumped the shared version) or in a
    new one (``x op= y``): then ``array`` alone moves to a new version, so the
    nodes that saved it raise, while those that saved the old buffer through
    other aliases stay valid.
    """
    from .ops import _array_methods as _ix

    view = _view_node(array)
    if view is not None:
        base, op, params = view
        ns = array._ns
        if op is _ix.GETITEM:
            base[params["key"]] = new
            new = base[params["key"]]
        else:
            write_back = _WRITE_BACK.get(op.name)
            if write_back is None:
                raise _errors.inplace_on_view(op.name)
            base[...] = write_back(ns, new, base, params)
            new = ns._function(op.name)(base, **params)
        array._data, array._node, array._index = new._data, new._node, new._index
        array._tangents = new._tangents
        array._version = new._version
        return
    array._data, array._node, array._index = new._data, new._node, new._index
    array._tangents = new._tangents
    if not same_buffer:
        # a new counter for the new buffer (the caller moved the old one's already)
        array._version = [array._version[0]]


def _unwrap(value, ns):
    if isinstance(value, Array):
        if value._ns is not ns:
            raise _errors.mixed_namespaces(ns, value._ns)
        return value._data
    return value


def _foreign_operand(ns, other):
    """An operator's other operand that is neither ours nor a constant.

    An array of another library is a ``TypeError`` naming both (DESIGN.md);
    returning ``NotImplemented`` would hand the operation to the other
    library, which fails with an unrelated message or converts us through
    ``__array__``.  Anything else may still implement the reflected operator.
    """
    import array_api_compat

    if array_api_compat.is_array_api_obj(other):
        raise _errors.foreign_array(ns, other)
    return NotImplemented


def _unwrap_key(key, ns):
    if isinstance(key, Array):
        return _unwrap(key, ns)
    if isinstance(key, tuple):
        return tuple(_unwrap(k, ns) if isinstance(k, Array) else k for k in key)
    return key


# ---------------------------------------------------------------------------
# The dispatcher
# ---------------------------------------------------------------------------

def _call(op, forward, ns, primals: tuple, params: dict):
    """Run ``op`` on ``primals``: the hot path of every wrapped function.

    Unwraps the inputs (wrapped arrays of ``ns``, the backend's own arrays and
    Python scalars; anything else is a ``TypeError``), runs ``forward``, and
    records a node and/or tangents only when an input is tracked.
    """
    raws = []
    tracked = False
    for p in primals:
        if isinstance(p, Array):
            if p._ns is not ns:
                raise _errors.mixed_namespaces(ns, p._ns)
            raws.append(p._data)
            if p._node is not None or p._tangents:
                tracked = True
        else:
            if p is not None and not isinstance(p, _SCALARS):
                if type(p) is BatchedArray:
                    from . import _batching

                    return _batching.call(op, forward, ns, primals, params)
                ns._check_foreign(p)
            raws.append(p)
    out = forward(*raws, **params)
    if tracked and op.differentiable:
        if _tape.state.recording or type(out) is not ns._array_type:
            return _track(op, ns, primals, params, out)
        for p in primals:
            if isinstance(p, Array) and p._tangents:
                return _track(op, ns, primals, params, out)
        # Not recording and no tangent (a rule run by a backward without
        # create_graph): nothing to track, the result is wrapped as below.
    if op.view and primals and isinstance(primals[0], Array) and \
            (op.view is True or op.view(params)):
        return ns._wrap(out, primals[0]._version)
    if type(out) is ns._array_type:
        # ns._wrap(out), inlined: the hot path of every untracked operation
        result = _new(Array)
        result._data = out
        result._ns = ns
        result._node = None
        result._index = 0
        result._version = [0]
        result._tangents = None
        return result
    return ns._wrap(out)


def _track(op, ns, primals, params, out):
    """Record ``op`` on the tape and propagate forward-mode tangents."""
    if type(out) is ns._array_type and not op.view and _tape.state.recording:
        return _track_one(op, ns, primals, params, out)
    multi = isinstance(out, (tuple, list))
    is_float = ns._is_float_dtype
    if multi:
        raw_outs = tuple(ns._as_array(o) for o in out)
        differentiable = tuple(is_float(o.dtype) for o in raw_outs)
    else:
        raw_outs = (out if type(out) is ns._array_type else ns._as_array(out),)
        differentiable = (is_float(raw_outs[0].dtype),)
    version = primals[0]._version if op.view and isinstance(primals[0], Array) and \
        (op.view is True or op.view(params)) else None
    if not any(differentiable):
        return ns._wrap(out, version)
    if not multi and not _tape.state.recording:
        # Not recording (e.g. a rule run by a backward without create_graph):
        # without tangents to carry there is only the result to build.
        for p in primals:
            if isinstance(p, Array) and p._tangents:
                break
        else:
            return Array._from_node(raw_outs[0], ns, None, 0,
                                    version if version is not None else [0], None)

    # Rules compute with wrapped arrays only: constants become wrapped arrays
    # (Python scalars take the output's dtype, as the standard's promotion does).
    for p in primals:
        if p is not None and not isinstance(p, Array):
            like = raw_outs[differentiable.index(True)]
            primals = tuple(_as_constant(ns, p, like) for p in primals)
            break

    node = None
    if _tape.state.recording:
        edges = []
        any_edge = False
        for p in primals:
            if isinstance(p, Array) and p._node is not None:
                edges.append(_edge(p))
                any_edge = True
            else:
                edges.append(None)
        if any_edge:
            # a view keeps its base (to write through it; the memory is shared anyway)
            needed = 0
            for i, e in enumerate(edges):
                if e is not None:
                    needed |= 1 << i
            stored, saved, dropped, out_checked = _stored_inputs(
                op, ns, primals, None if version is not None else needed)
            node = _tape.Node(op, ns, stored, params, tuple(edges),
                              raw_outs if op.uses_out else None, len(raw_outs), ())
            node.dropped = dropped
    if multi:
        results = []
        for i, raw in enumerate(raw_outs):
            cell = version if version is not None else [0]
            tracked_out = node is not None and differentiable[i]
            results.append(Array._from_node(raw, ns, node if tracked_out else None,
                                            i, cell, None))
    else:
        results = [Array._from_node(raw_outs[0], ns, node, 0,
                                    version if version is not None else [0], None)]
    if node is not None:
        node.saved = saved
        if out_checked:
            node.saved = node.saved + tuple(
                (r._version, r._version[0], "its output", None) for r in results)
        node.multi = multi
        if version is not None:
            node.view_version = version[0]
        if multi:
            node.out_meta = tuple((tuple(r.shape), r.dtype) for r in raw_outs)
    for p in primals:
        if isinstance(p, Array) and p._tangents:
            _forward_tangents(op, ns, primals, params, results, differentiable, multi)
            if node is not None and op.uses_out:
                # rules reading ``out`` need its tangents (forward-over-reverse)
                node.out_tangents = tuple(r._tangents for r in results)
            if node is None and version is not None and not multi and \
                    isinstance(primals[0], Array):
                _remember_forward_view(results[0], primals[0], op, params)
            break
    if multi:
        return ns._rebuild(out, results)
    return results[0]


def _edge(p) -> tuple:
    """The tape edge to an input in a graph: ``(parent, index, shape, dtype)``.

    Raises
    ------
    RuntimeError
        ``p`` is a view whose base was modified in place after it was taken.
    """
    parent = p._node
    if type(parent) is _tape.Node and parent.view_version is not None and \
            parent.view_version != p._version[0]:
        raise _errors.stale_view(p, parent.op.name)
    data = p._data
    return parent, p._index, tuple(data.shape), data.dtype


def _track_one(op, ns, primals, params, out):
    """:func:`_track` for the common case, in one pass over the inputs.

    One backend array out, not a view, recording on: the same node, saved
    values and tangents as the general path.
    """
    if not ns._is_float_dtype(out.dtype):
        return ns._wrap(out)
    for p in primals:
        if p is not None and not isinstance(p, Array):
            primals = tuple(_as_constant(ns, p, out) for p in primals)
            break
    edges = []
    needed = 0  # bit i: input i needs a gradient
    has_tangents = False
    for i, p in enumerate(primals):
        if p is None:
            edges.append(None)
            continue
        if p._node is not None:
            edges.append(_edge(p))
            needed |= 1 << i
        else:
            edges.append(None)
        if p._tangents:
            has_tangents = True
    node = None
    if needed:
        stored, saved, dropped, out_checked = _stored_inputs(op, ns, primals, needed)
        node = _tape.Node(op, ns, stored, params, tuple(edges),
                          (out,) if op.uses_out else None, 1, ())
        node.dropped = dropped
    result = Array._from_node(out, ns, node, 0, [0], None)
    if node is not None:
        if out_checked:
            saved = saved + ((result._version, 0, "its output", None),)
        node.saved = saved
    if has_tangents:
        _forward_tangents(op, ns, primals, params, [result], (True,), False)
        if node is not None and op.uses_out:
            # rules reading ``out`` need its tangents (forward-over-reverse)
            node.out_tangents = (result._tangents,)
    return result


def _stored_inputs(op, ns, primals: tuple, needed: int | None) -> tuple:
    """What a node of ``op`` keeps of its inputs, and the in-place checks on them.

    Returns ``(stored primals, saved version checks, dropped)``.  ``needed`` has
    bit ``i`` set when input ``i`` needs a gradient (``None``: keep and check
    every input, as for a view).  An input that needs a gradient but whose
    value no needed rule reads (``Op.reads``; none for ``saves=False``) is not
    kept: the node stores :data:`~arrayapi_autograd._tape.NOT_KEPT` and its
    device, and the rules see a stand-in with its edge's shape and dtype
    (PyTorch's per-formula saving), so the node holds no memory for it.
    Inputs of at most ``_tape.KEEP_UNREAD_UP_TO`` elements are kept anyway:
    dropping them saves no memory worth the stand-in's cost per operation.
    Only the inputs read are checked for in-place changes, whatever their size.
    """
    if needed is None:
        droppable, checked, out_checked = (), None, op.uses_out
    else:
        entry = _tape.KEPT.get((id(op), needed))
        if entry is None or entry[0] is not op:
            entry = _tape.kept_inputs(op, needed)
        _, droppable, checked, out_checked = entry
    dropped = None
    if droppable:
        for i in droppable:
            data = primals[i]._data
            if math.prod(data.shape) > _tape.KEEP_UNREAD_UP_TO:
                if dropped is None:
                    dropped = []
                    primals = list(primals)
                primals[i] = _tape.NOT_KEPT
                device = getattr(data, "device", None)
                dropped.append((i, device if device is not None else ns._device(data)))
        primals = tuple(primals)
    if not op.saves or checked == ():
        return primals, (), dropped, out_checked
    labels = _labels(op)
    if op.sequence:
        saved = [(p._version, p._version[0], labels[0], p) for p in primals if p is not None]
    elif checked is None:
        saved = [(p._version, p._version[0], labels[i], p)
                 for i, p in enumerate(primals) if p is not None]
    else:
        saved = [(p._version, p._version[0], labels[i], p)
                 for i, p in ((i, primals[i]) for i in checked) if p is not None]
    return primals, tuple(saved), dropped, out_checked


_LABELS: dict = {}


def _labels(op) -> tuple:
    """Per array parameter of ``op``, its label in version-check messages (built once)."""
    entry = _LABELS.get(id(op))
    if entry is None or entry[0] is not op:
        names = op.arrays
        entry = _LABELS[id(op)] = (op, tuple(f"argument '{n}'" for n in names))
    return entry[1]


_CONSTANTS: dict = {}


def _as_constant(ns, p, like):
    """``p`` as a wrapped array without history (``None`` stays ``None``)."""
    if p is None or isinstance(p, Array):
        return p
    if isinstance(p, _SCALARS):
        dtype = like.dtype
        # Non-zero real Python scalars are converted once per namespace, dtype
        # and device (zeros keep their sign, NaNs and complex numbers are not
        # cached); the wrapper around the cached 0-d array is always new.
        key = None
        if (type(p) is float or type(p) is int) and p != 0:
            key = (id(ns), type(p), p, dtype, getattr(like, "device", None))
            try:
                raw = _CONSTANTS.get(key)
            except TypeError:  # an unhashable dtype or device: no caching
                key = raw = None
            if raw is not None:
                return Array._from_node(raw, ns, None, 0)
        if isinstance(p, complex) and not ns._is_complex_dtype(dtype):
            dtype = None
        raw = ns._xp.asarray(p, dtype=dtype, device=ns._device(like))
        # only concrete arrays are cached: under a tracer (jax.jit) the constant belongs
        # to that trace and must not leak into the next one
        if key is not None and type(raw) is ns._array_type:
            if len(_CONSTANTS) > 1024:
                _CONSTANTS.clear()
            _CONSTANTS[key] = raw
        return Array._from_node(raw, ns, None, 0)
    return Array._from_node(p, ns, None, 0)


def _forward_tangents(op, ns, primals, params, results, differentiable, multi):
    """Forward mode: compute the output tangents for every open level."""
    levels = set()
    for p in primals:
        if isinstance(p, Array) and p._tangents:
            levels.update(p._tangents)
    levels &= _tape.state.open_levels  # tangents of closed levels are inert
    if not levels:
        return
    rules = op.jvp
    for level in sorted(levels):
        lowered = tuple(_lower(p, level) for p in primals)
        tangents = tuple(p._tangents.get(level) if isinstance(p, Array) and p._tangents
                         else None for p in primals)
        outs = tuple(_lower(r, level) for r in results)
        out = outs if multi else outs[0]
        if rules is None:
            raise _errors.jvp_not_defined(op.name, op.arrays[0])
        if callable(rules):
            t_out = rules(ns, tangents, *lowered, out=out, **params)
        else:
            t_out = None
            names = op.arrays
            for i, t in enumerate(tangents):
                if t is None:
                    continue
                rule = rules.get(names[i])
                if rule is None:
                    raise _errors.jvp_not_defined(op.name, names[i])
                term = rule(ns, t, *lowered, out=out, **params)
                t_out = term if t_out is None else t_out + term
        if not multi:
            t_out = (t_out,)
        for r, t, diff in zip(results, t_out, differentiable):
            if t is None or not diff:
                continue
            if not isinstance(t, (Array, BatchedArray)):
                t = ns.asarray(t)
            if t.shape != r.shape and not _tape.same_shape(t.shape, r.shape):
                t = ns.broadcast_to(t, r.shape)
            if t.dtype != r.dtype:
                t = ns.astype(t, r.dtype)
            if r._tangents is None:
                r._tangents = {}
            r._tangents[level] = t


def _lower(p, level):
    """``p`` seen from inside ``level``: tangents of this and inner levels removed."""
    if not isinstance(p, Array) or not p._tangents:
        return p
    kept = {k: v for k, v in p._tangents.items() if k < level}
    return Array._from_node(p._data, p._ns, p._node, p._index, p._version, kept or None)


# ---------------------------------------------------------------------------
# Operators, from the elementwise table
# ---------------------------------------------------------------------------

def _operator_op(name):
    # every section's records (``matmul`` lives in the linear algebra table)
    from .ops import BY_NAME

    return BY_NAME[name]


_OPERANDS = (Array, BatchedArray, *_SCALARS)


def _binary(name, pyop, reflected=False):
    """``x <op> y`` (or, ``reflected``, ``y <op> x`` called as ``x.__r<op>__(y)``)."""
    op = None

    def method(self, other):
        nonlocal op
        if op is None:
            op = _operator_op(name)
        if not isinstance(other, _OPERANDS) and not self._ns._is_backend_array(other):
            return _foreign_operand(self._ns, other)
        primals = (other, self) if reflected else (self, other)
        return _call(op, pyop, self._ns, primals, _EMPTY)

    return method


def _unary(name, pyop):
    op = None

    def method(self):
        nonlocal op
        if op is None:
            op = _operator_op(name)
        return _call(op, pyop, self._ns, (self,), _EMPTY)

    return method


def _inplace(name, pyop, ipyop):
    """``x op= y``: recorded functionally when tracked, in place on the backend otherwise."""
    op = None

    def method(self, other):
        nonlocal op
        if op is None:
            op = _operator_op(name)
        ns = self._ns
        if type(other) is BatchedArray:
            raise _errors.batched_into_unbatched()
        tracked = self._is_tracked() or (isinstance(other, Array) and other._is_tracked())
        if tracked and (_tape.state.recording or self._tangents or
                        (isinstance(other, Array) and other._tangents)):
            if _tape.state.recording and isinstance(self._node, _tape.Leaf):
                raise _errors.leaf_inplace(self)
            if _view_node(self) is not None:
                # the result is written back into the base's buffer, which this view
                # shares: the recorded op keeps a copy of the values it reads
                old = Array._from_node(ns._xp.asarray(self._data, copy=True), ns, self._node,
                                       self._index, [self._version[0]], self._tangents)
            else:
                # The result goes to a new buffer; the old one's aliases (views taken
                # before) keep the old values, so its counter moves first: using such a
                # view in a recorded operation, or a backward through a node that saved
                # this array before, raises (PyTorch raises there too) instead of
                # computing with old values.  The op recorded here reads the old values,
                # at the moved version.
                self._version[0] += 1
                old = self._snapshot(share_version=True)
            new = _call(op, pyop, ns, (old, other), _EMPTY)
            if new.shape != self.shape:
                raise _errors.inplace_shape_change(name, self.shape, new.shape)
            if new.dtype != self.dtype:
                _check_inplace_cast(ns, ipyop, self, other)
                new = ns.astype(new, self.dtype)
            _assign_inplace(self, new, same_buffer=False)
            return self
        if ns._check_requires_grad and not isinstance(other, Array):
            ns._refuse_requires_grad(other)
        self._data = ipyop(self._data, _unwrap(other, ns))
        self._version[0] += 1
        return self

    return method


def _batched_inplace(pyop):
    """``b op= y`` on a batched value: the physical array is updated in place."""

    def method(self, other):
        from . import _batching

        _batching.setitem(self, (...,), pyop(self, other))
        return self

    return method


def _check_inplace_cast(ns, ipyop, array, other) -> None:
    """Raise what the backend's own ``x op= y`` raises for these dtypes.

    The recorded path computes ``x op y`` and casts the result to ``x``'s
    dtype; where the backend refuses that cast in place (float32 += complex64
    in NumPy and PyTorch, any promotion in array-api-strict), so do we.  The
    backend's operator runs on empty arrays of the same dtypes.
    """
    xp = ns._xp
    device = ns._device(array._data)
    probe = xp.empty((0,), dtype=array.dtype, device=device)
    if isinstance(other, Array) or hasattr(other, "dtype"):
        other = xp.empty((0,), dtype=other.dtype, device=device)
    ipyop(probe, other)


_BINARY_OPERATORS = {
    "add": (operator.add, operator.iadd),
    "subtract": (operator.sub, operator.isub),
    "multiply": (operator.mul, operator.imul),
    "divide": (operator.truediv, operator.itruediv),
    "floor_divide": (operator.floordiv, operator.ifloordiv),
    "remainder": (operator.mod, operator.imod),
    "pow": (operator.pow, operator.ipow),
    "matmul": (operator.matmul, operator.imatmul),
    "bitwise_and": (operator.and_, operator.iand),
    "bitwise_or": (operator.or_, operator.ior),
    "bitwise_xor": (operator.xor, operator.ixor),
    "bitwise_left_shift": (operator.lshift, operator.ilshift),
    "bitwise_right_shift": (operator.rshift, operator.irshift),
}
_DUNDER = {
    "add": "add", "subtract": "sub", "multiply": "mul", "divide": "truediv",
    "floor_divide": "floordiv", "remainder": "mod", "pow": "pow", "matmul": "matmul",
    "bitwise_and": "and", "bitwise_or": "or", "bitwise_xor": "xor",
    "bitwise_left_shift": "lshift", "bitwise_right_shift": "rshift",
}
for _name, (_pyop, _ipyop) in _BINARY_OPERATORS.items():
    _d = _DUNDER[_name]
    for _cls in (Array, BatchedArray):
        setattr(_cls, f"__{_d}__", _binary(_name, _pyop))
        setattr(_cls, f"__r{_d}__", _binary(_name, _pyop, reflected=True))
    setattr(Array, f"__i{_d}__", _inplace(_name, _pyop, _ipyop))
    setattr(BatchedArray, f"__i{_d}__", _batched_inplace(_pyop))

for _name, _pyop, _d in (("equal", operator.eq, "eq"), ("not_equal", operator.ne, "ne"),
                         ("less", operator.lt, "lt"), ("less_equal", operator.le, "le"),
                         ("greater", operator.gt, "gt"),
                         ("greater_equal", operator.ge, "ge")):
    for _cls in (Array, BatchedArray):
        setattr(_cls, f"__{_d}__", _binary(_name, _pyop))

for _name, _pyop, _d in (("negative", operator.neg, "neg"), ("positive", operator.pos, "pos"),
                         ("abs", operator.abs, "abs"),
                         ("bitwise_invert", operator.invert, "invert")):
    for _cls in (Array, BatchedArray):
        setattr(_cls, f"__{_d}__", _unary(_name, _pyop))

Array.__hash__ = None  # arrays compare elementwise, so they are unhashable
BatchedArray.__hash__ = None
del _name, _pyop, _ipyop, _d, _cls

"""The wrapped array object and the dispatcher every operation goes through.

Spec section: "Array object",
https://data-apis.org/array-api/latest/API_specification/array_object.html

An :class:`Array` holds one backend array (``_data``) and the bookkeeping of
differentiation: the node that produced it on the tape (``_node``, or a
:class:`~arrayapi_autograd._tape.Leaf` for a variable), which output of that
node it is (``_index``), a version counter shared with its views
(``_version``), and the forward-mode tangents it carries, one per open level
(``_tangents``).

This module is the value type: attributes, operators, indexing and the
write-back of in-place updates.  :func:`_call` is the single entry point of
every operation: it unwraps the inputs, runs the backend's forward, and only
when an input is tracked (in a graph or carrying a tangent) hands the result
to the recorder (``_tape.record_one``/``_tape.record``).  Its hot path for
one and two arrays (:data:`DISPATCH_ONE`, :data:`DISPATCH_TWO`) is inlined
into the namespace's functions of one and two arrays.  Op records are
reached through the array's namespace (``ns._records``), never imported: the
op tables sit floors above this one.  Any other differentiable value (the
batching module's stacked cotangents) takes over an operation through its
``_dispatch`` method, as JAX's tracers dispatch through their trace.
"""

from __future__ import annotations

import operator
import warnings

from . import _errors
from . import _tape
from ._op import generated
from ._tape import Value

_SCALARS = (int, float, complex, bool)
_EMPTY: dict = {}
_new = object.__new__


class Array(Value):
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

    def _without_history(self) -> "Array":
        """The same data without history, keeping the forward-mode tangents."""
        if self._node is None:
            return self
        return Array._from_node(self._data, self._ns, None, 0, self._version, self._tangents)

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
        Intermediate results have no ``grad`` unless :meth:`retain_grad` was
        called: reading it then warns and gives ``None``, as in PyTorch (use
        ``autograd.grad`` for the gradient of an intermediate result).
        """
        node = self._node
        if isinstance(node, _tape.Leaf):
            return node.grad
        if node is not None:
            retained = getattr(node, "retained", None)
            if retained is not None and self._index in retained:
                return retained[self._index]
            warnings.warn(_errors.non_leaf_grad_warning(), UserWarning, stacklevel=2)
        return None

    @grad.setter
    def grad(self, value) -> None:
        node = self._node
        if not isinstance(node, _tape.Leaf):
            raise _errors.grad_of_non_leaf()
        if value is not None:
            if not isinstance(value, Array):  # a list or a backend array: taken at our dtype
                if _is_array_api_obj(value):
                    self._ns._check_foreign(value)  # another library's array: refused
                value = self._ns.asarray(value, dtype=self.dtype)
            elif value._ns is not self._ns:
                raise _errors.grad_namespace(value._ns, self._ns)
            if value.shape != self.shape:
                raise _errors.grad_shape(value.shape, self.shape)
            if value.dtype != self.dtype:
                raise _errors.grad_dtype(value.dtype, self.dtype)
        node.grad = value

    def retain_grad(self) -> None:
        """Keep the gradient of this intermediate result in ``grad`` (PyTorch's ``retain_grad``).

        Each later backward adds the cotangent reaching this array to its
        ``grad`` (``None`` until then), as for a leaf.  A leaf keeps its
        gradient anyway: nothing to do.

        Raises
        ------
        RuntimeError
            The array does not require a gradient.
        """
        node = self._node
        if isinstance(node, _tape.Leaf):
            return
        if node is None:
            raise _errors.retain_grad_without_grad()
        retained = getattr(node, "retained", None)
        if retained is None:
            retained = node.retained = {}
        index = self._index
        if index in retained:
            return
        retained[index] = None

        def keep(ct):
            previous = retained[index]
            retained[index] = ct if previous is None else previous + ct

        self.register_hook(keep)

    @property
    def retains_grad(self) -> bool:
        """Whether :meth:`retain_grad` was called on this intermediate result."""
        node = self._node
        return type(node) is _tape.Node and self._index in (getattr(node, "retained", None)
                                                            or ())

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

    def persist(self, **kwargs) -> "Array":
        """The same array with its backend data persisted: computed, and kept as data.

        For a lazy backend (Dask) the task graph of the data is run and the
        result kept in memory (on the cluster's workers under a ``Client``), so
        that later operations start from it instead of growing the graph: what
        a training loop needs after each step (docs/backends.rst).  The result
        keeps this array's place on the tape (node, output index, version
        counter) and its forward-mode tangents, so gradients flow through it as
        through this array, and a leaf stays the same variable (same ``grad``).
        ``kwargs`` go to the backend (``scheduler=...``).  Eager backends have
        nothing to persist: the array itself is returned.
        ``ns.persist(*arrays)`` persists several arrays at once, sharing the
        work of their common graph.
        """
        persist = getattr(self._data, "persist", None)
        if persist is None:
            return self
        return Array._from_node(persist(**kwargs), self._ns, self._node, self._index,
                                self._version, self._tangents)

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
        ns = self._ns
        op, forward = ns._records["__getitem__"]
        key = _unwrap_key(key, ns, self._node is not None and _tape.state.recording)
        return _call(op, forward, ns, (self,), {"key": key})

    def __setitem__(self, key, value) -> None:
        ns = self._ns
        op, forward = ns._records["__setitem__"]
        if isinstance(value, Value) and type(value) is not Array:
            raise _errors.batched_into_unbatched()
        tracked = self._is_tracked() or (isinstance(value, Array) and value._is_tracked())
        key = _unwrap_key(key, ns, tracked and _tape.state.recording)
        if tracked and (_tape.state.recording or self._tangents or
                        (isinstance(value, Array) and value._tangents)):
            if _tape.state.recording and isinstance(self._node, _tape.Leaf):
                raise _errors.leaf_inplace(self)
            _tape.preserve_saved(self)  # the nodes that saved the old values keep them
            old = self._snapshot(share_version=False)
            new = _call(op, forward, ns, (old, value), {"key": key})
            if _view_node(self) is None:
                # the backend wrote into the buffer itself: every alias sees a new version
                self._version[0] += 1
            # (a view writes through to its base, whose own write moves the shared
            # version; moving it here first would make a base that is a view look stale)
            _assign_inplace(self, new, same_buffer=True)
            return
        if ns._check_requires_grad and not isinstance(value, Array):
            ns._refuse_requires_grad(value)
        _tape.preserve_saved(self)
        self._data = forward(self._data, _unwrap(value, ns), key=key)
        self._version[0] += 1

    # --- operators: built below from the elementwise table ------------------------


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
    tangents were tracked (no node), from :data:`_tape.FORWARD_VIEWS`.
    """
    node = array._node
    if type(node) is _tape.Node and node.view_version is not None and \
            node.primals is not None and isinstance(node.primals[0], Array):
        return node.primals[0], node.op, node.params
    if node is None and array._tangents:
        entry = _tape.FORWARD_VIEWS.get(id(array))
        if entry is not None and entry[0]() is array:
            return entry[1:]
    return None


def _permute_back(ns, new, axes):
    axes = [a % len(axes) for a in axes]
    return ns.permute_dims(new, tuple(sorted(range(len(axes)), key=axes.__getitem__)))


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
    view = _view_node(array)
    if view is not None:
        base, op, params = view
        ns = array._ns
        if op.name == "__getitem__":
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
    if _is_array_api_obj(other):
        raise _errors.foreign_array(ns, other)
    return NotImplemented


def _is_array_api_obj(obj) -> bool:
    """Whether ``obj`` is an array of some array library (array-api-compat's test)."""
    import array_api_compat

    return array_api_compat.is_array_api_obj(obj)


def _unwrap_key(key, ns, recorded: bool = False):
    """``key`` with wrapped index arrays as backend arrays.

    ``recorded``: the indexing is recorded, and its node keeps the key: index
    arrays and masks are copied, so that changing them in place afterwards
    cannot change the gradient (PyTorch raises there; the copy keeps it right).
    """
    if isinstance(key, tuple):
        return tuple(_unwrap_index(k, ns, recorded) for k in key)
    return _unwrap_index(key, ns, recorded)


def _unwrap_index(k, ns, recorded: bool):
    if isinstance(k, Array):
        k = _unwrap(k, ns)
    if recorded and getattr(k, "ndim", 0):  # an index array or a mask, not a scalar
        return ns._xp.asarray(k, copy=True)
    return k


# ---------------------------------------------------------------------------
# The dispatcher
# ---------------------------------------------------------------------------

def _call(op, forward, ns, primals: tuple, params: dict):
    """Run ``op`` on ``primals``: the entry point of every wrapped function.

    Unwraps the inputs (wrapped arrays of ``ns``, the backend's own arrays and
    Python scalars; anything else is a ``TypeError``), runs ``forward``, and
    hands the result to the recorder only when an input is tracked.
    """
    raws = []
    tracked = False
    for p in primals:
        if type(p) is Array:
            if p._ns is not ns:
                raise _errors.mixed_namespaces(ns, p._ns)
            raws.append(p._data)
            if p._node is not None or p._tangents:
                tracked = True
        elif p is None or isinstance(p, _SCALARS):
            raws.append(p)
        elif isinstance(p, Value):
            # a value of a higher floor (a batched cotangent) runs the op its way
            return p._dispatch(op, forward, ns, primals, params)
        else:
            ns._check_foreign(p)
            raws.append(p)
    return _finish(op, ns, primals, params, forward(*raws, **params), tracked)


# the wrapped result of the backend's ``_out``, not yet in a graph (the text at its indent)
_NEW_RESULT = """\
_result = _new(_Array)
_result._data = _out
_result._ns = _ns
_result._node = None
_result._index = 0
_result._version = [0]
_result._tangents = None
"""


def _indented(text: str, spaces: int) -> str:
    """``text`` with ``spaces`` more spaces before each line that is not blank."""
    return "".join(" " * spaces + line if line.strip() else line
                   for line in text.splitlines(keepends=True))


# The hot path of the functions of one and of two arrays, as source text.  The
# namespace builds each such function with this body (``_op.make_function``, through
# :func:`dispatch_one` and :func:`dispatch_two`), and the operators are made from the
# same text (:func:`_binary`): a call of ``xp.sin(x)`` or ``x * 0.9`` is one Python
# frame, the tape's recorder text (``_tape.record_text_one``, ``_tape.RECORD_TWO``)
# inlined at ``{record}``.  In the text, ``_op``, ``_forward`` and ``_ns`` are the op
# record, the backend's forward and the namespace; ``{x}``/``{x1}``/``{x2}`` the array
# arguments, ``{params}`` the dict of the other parameters and ``{differentiable}``
# whether the op is recorded (``_op.differentiable``, or its value).  Not for views
# (their functions call :func:`_call`, and no operator is one).  Anything off the hot
# path (another namespace, a tangent, a batched value, a foreign array, a result that
# is not one backend array) goes to :func:`_call`.
DISPATCH_ONE = """\
    _x = {x}
    _params = {params}
    if type(_x) is _Array and _x._ns is _ns and not _x._tangents:
        _data = _x._data
        _out = _forward(_data, **_params) if _params else _forward(_data)
        if type(_out) is not _ns._array_type:
            return _finish(_op, _ns, (_x,), _params, _out, _x._node is not None)
{new_result}        if _x._node is not None and {differentiable} and _state.recording:
{record}
        return _result
    return _call(_op, _forward, _ns, (_x,), _params)
"""

DISPATCH_TWO = """\
    _x1 = {x1}
    _x2 = {x2}
    _params = {params}
    if type(_x1) is _Array:
        if _x1._ns is not _ns or _x1._tangents:
            return _call(_op, _forward, _ns, (_x1, _x2), _params)
        _raw1 = _x1._data
        _tracked = _x1._node is not None
    elif isinstance(_x1, _SCALARS):
        _raw1 = _x1
        _tracked = False
    else:
        return _call(_op, _forward, _ns, (_x1, _x2), _params)
    if type(_x2) is _Array:
        if _x2._ns is not _ns or _x2._tangents:
            return _call(_op, _forward, _ns, (_x1, _x2), _params)
        _raw2 = _x2._data
        _tracked = _tracked or _x2._node is not None
    elif isinstance(_x2, _SCALARS):
        _raw2 = _x2
    else:
        return _call(_op, _forward, _ns, (_x1, _x2), _params)
    _out = _forward(_raw1, _raw2, **_params) if _params else _forward(_raw1, _raw2)
    if type(_out) is not _ns._array_type:
        return _finish(_op, _ns, (_x1, _x2), _params, _out, _tracked)
{new_result}    if _tracked and {differentiable} and _state.recording:
{record}
    return _result
"""


def dispatch_scope() -> dict:
    """The names the dispatch text uses, besides ``_op``, ``_forward`` and ``_ns``."""
    return {"_Array": Array, "_new": _new, "_call": _call, "_finish": _finish,
            "_SCALARS": _SCALARS, "_state": _tape.state, **_tape.recording_scope()}


def dispatch_one(op, x: str, params: str) -> str:
    """The body of the namespace function of ``op``, an op of one array named ``x``."""
    return DISPATCH_ONE.format(x=x, params=params, differentiable=op.differentiable,
                               new_result=_indented(_NEW_RESULT, 8),
                               record=_tape.record_text_one(op) if op.differentiable
                               else "            pass\n")


def dispatch_two(op, x1: str, x2: str, params: str) -> str:
    """The body of the namespace function of ``op``, an op of two arrays."""
    return DISPATCH_TWO.format(x1=x1, x2=x2, params=params, differentiable=op.differentiable,
                               new_result=_indented(_NEW_RESULT, 4),
                               record=_tape.RECORD_TWO if op.differentiable
                               else "        pass\n")


def _finish(op, ns, primals: tuple, params: dict, out, tracked: bool):
    """Wrap the backend result ``out`` of ``op``, recording it when an input is tracked."""
    if type(out) is ns._array_type and not op.view:
        result = Array._from_node(out, ns, None, 0)
        if tracked and op.differentiable:
            if _tape.state.recording:
                return _tape.record_one(op, ns, primals, params, result)
            for p in primals:
                if type(p) is Array and p._tangents:
                    return _tape.record(op, ns, primals, params, out)
            # Not recording and no tangent (a rule run by a backward without
            # create_graph): nothing to track.
        return result
    if tracked and op.differentiable:
        if _tape.state.recording or type(out) is not ns._array_type:
            return _tape.record(op, ns, primals, params, out)
        for p in primals:
            if type(p) is Array and p._tangents:
                return _tape.record(op, ns, primals, params, out)
    if op.view and primals and type(primals[0]) is Array and \
            (op.view is True or op.view(params)):
        return ns._wrap(out, primals[0]._version)
    return ns._wrap(out)


# ---------------------------------------------------------------------------
# Operators, from the elementwise table
# ---------------------------------------------------------------------------

_OPERANDS = (Value, *_SCALARS)


_OPERATOR = """\
def {method}(self, other):
    _ns = self._ns
    _kind = type(other)
    if _kind is not float and _kind is not _Array and _kind is not int and \\
            not isinstance(other, _OPERANDS) and not _ns._is_backend_array(other):
        return _foreign_operand(_ns, other)
    _op = _record[0]
    if _op is None:  # the first call: the record is the same in every namespace
        _op = _record[0] = _ns._records[{name!r}][0]
{forward}{body}"""

# operators whose Python operator on the backend's arrays does not follow the standard on
# every backend: they run the namespace's function instead (torch's ``@`` refuses mixed
# float dtypes, which ``matmul`` promotes)
_NAMESPACE_FORWARD = frozenset({"matmul"})


def _binary(name, pyop, dunder, reflected=False):
    """``x <op> y`` (or, ``reflected``, ``y <op> x`` called as ``x.__r<op>__(y)``): the
    dispatch text :data:`DISPATCH_TWO` inlined, with ``pyop`` as the forward."""
    method = f"__r{dunder}__" if reflected else f"__{dunder}__"
    body = DISPATCH_TWO.format(x1="other" if reflected else "self",
                               x2="self" if reflected else "other", params="_EMPTY",
                               differentiable="_op.differentiable", record=_tape.RECORD_TWO,
                               new_result=_indented(_NEW_RESULT, 4))
    scope = {**dispatch_scope(), "_forward": pyop, "_record": [None], "_EMPTY": _EMPTY,
             "_OPERANDS": _OPERANDS, "_foreign_operand": _foreign_operand}
    forward = f"    _forward = _ns._records[{name!r}][1]\n" if name in _NAMESPACE_FORWARD else ""
    source = _OPERATOR.format(method=method, name=name, forward=forward, body=body)
    return generated(source, method, scope, method, __name__)


def _unary(name, pyop):
    op = None

    def method(self):
        nonlocal op
        if op is None:
            op = self._ns._records[name][0]
        return _call(op, pyop, self._ns, (self,), _EMPTY)

    return method


def _inplace(name, pyop, ipyop):
    """``x op= y``: recorded functionally when tracked, in place on the backend otherwise."""
    op = None

    def method(self, other):
        nonlocal op
        if op is None:
            op = self._ns._records[name][0]
        ns = self._ns
        if isinstance(other, Value) and type(other) is not Array:
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
                # The result goes to a new buffer.  The nodes that saved this array keep
                # the old buffer, untouched (no copy); the old one's other aliases (views
                # taken before) keep the old values, so its counter moves: using such a
                # view in a recorded operation raises (PyTorch raises there too) instead
                # of computing with old values.  The op recorded here reads the old
                # values, at the moved version.
                _tape.preserve_saved(self, copy=False)
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
        _tape.preserve_saved(self)  # the backend's x op= y writes into the buffer
        self._data = ipyop(self._data, _unwrap(other, ns))
        self._version[0] += 1
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
COMPARISON_OPERATORS = (("equal", operator.eq, "eq"), ("not_equal", operator.ne, "ne"),
                        ("less", operator.lt, "lt"), ("less_equal", operator.le, "le"),
                        ("greater", operator.gt, "gt"), ("greater_equal", operator.ge, "ge"))
UNARY_OPERATORS = (("negative", operator.neg, "neg"), ("positive", operator.pos, "pos"),
                   ("abs", operator.abs, "abs"), ("bitwise_invert", operator.invert, "invert"))


def add_operators(cls, inplace) -> None:
    """Give ``cls`` the standard's operators; ``inplace(name, pyop, ipyop)`` makes ``x op= y``."""
    for name, (pyop, ipyop) in _BINARY_OPERATORS.items():
        d = _DUNDER[name]
        setattr(cls, f"__{d}__", _binary(name, pyop, d))
        setattr(cls, f"__r{d}__", _binary(name, pyop, d, reflected=True))
        setattr(cls, f"__i{d}__", inplace(name, pyop, ipyop))
    for name, pyop, d in COMPARISON_OPERATORS:
        setattr(cls, f"__{d}__", _binary(name, pyop, d))
    for name, pyop, d in UNARY_OPERATORS:
        setattr(cls, f"__{d}__", _unary(name, pyop))
    cls.__hash__ = None  # arrays compare elementwise, so they are unhashable


add_operators(Array, _inplace)

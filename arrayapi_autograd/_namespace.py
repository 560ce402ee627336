"""The namespace binder: the op tables bound to one backend, once.

``namespace(backend)`` returns a module object that is a complete array API
namespace whose functions take and return :class:`~arrayapi_autograd.Array`.
Each function is built once per backend from its op record (see ``_op.py``),
with the backend's own function looked up at that moment, so no call looks
anything up by name.  Binding the same backend twice returns the same object.

Backends arrive as array API namespaces: a compliant module (such as
``array_api_strict``), an ``array_api_compat`` namespace, or one of the names
``"numpy"``, ``"torch"``, ``"cupy"``, ``"array_api_strict"``, ``"dask"``,
``"jax"``, which are resolved through array-api-compat.
"""

from __future__ import annotations

import functools
import importlib
import os
import threading
import types
from typing import Any

import array_api_compat
import numpy as np

from . import _errors, ops
from ._array_object import Array, _call, dispatch_one, dispatch_scope, dispatch_two
from ._op import make_function, make_raw_function

_SCALARS = (int, float, complex, bool)

_LOCK = threading.RLock()
_CACHE: dict[int, "Namespace"] = {}

_KNOWN = {
    "numpy": "array_api_compat.numpy",
    "torch": "array_api_compat.torch",
    "cupy": "array_api_compat.cupy",
    "dask": "array_api_compat.dask.array",
    "array_api_strict": "array_api_strict",
    "jax": "jax.numpy",
}

# The editions of the standard a namespace can follow; the version in force is
# 2024.12 unless set_array_api_version() (or ARRAYAPI_AUTOGRAD_API_VERSION) says
# otherwise, and never newer than the backend's own.  It decides what the standard
# lets differ between editions: meshgrid, broadcast_arrays and
# __array_namespace_info__().devices() give a list up to 2024.12, a tuple from 2025.12.
API_VERSIONS = ("2023.12", "2024.12", "2025.12")
DEFAULT_API_VERSION = "2024.12"
_api_version = DEFAULT_API_VERSION


def set_array_api_version(version: str | None = None) -> str:
    """Set the edition of the array API standard that every namespace follows.

    Parameters
    ----------
    version : str, optional
        ``"2023.12"``, ``"2024.12"`` (the default) or ``"2025.12"``; ``None``
        restores the default.  A namespace never reports a version newer than
        its backend's ``__array_api_version__``.

    Returns
    -------
    str
        The version in force before the call (to restore it).

    Examples
    --------
    >>> import arrayapi_autograd as ag
    >>> xp = ag.namespace("numpy")
    >>> xp.__array_api_version__
    '2024.12'
    >>> previous = ag.set_array_api_version("2025.12")
    >>> type(xp.meshgrid(xp.arange(2.0), xp.arange(3.0))).__name__
    'tuple'
    >>> _ = ag.set_array_api_version(previous)
    """
    global _api_version
    version = DEFAULT_API_VERSION if version is None else version
    if version not in API_VERSIONS:
        raise _errors.unsupported_api_version(version, ", ".join(API_VERSIONS))
    previous, _api_version = _api_version, version
    return previous


_environment_version = os.environ.get("ARRAYAPI_AUTOGRAD_API_VERSION")
if _environment_version:
    set_array_api_version(_environment_version)

_DTYPE_NAMES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                "uint64", "float32", "float64", "complex64", "complex128")
_CONSTANTS = ("e", "inf", "nan", "newaxis", "pi")


def _resolve(backend) -> Any:
    """The array API namespace (``xp``) behind ``backend``."""
    if isinstance(backend, Namespace):
        return backend._xp
    if isinstance(backend, str):
        module_name = _KNOWN.get(backend)
        if module_name is None:
            try:
                backend = importlib.import_module(backend)
            except ImportError:
                raise _errors.unknown_backend(backend) from None
        else:
            try:
                backend = importlib.import_module(module_name)
            except ImportError as exc:
                raise _errors.missing_backend(backend.split(".")[0], str(exc)) from None
    if not isinstance(backend, types.ModuleType):
        raise _errors.unknown_backend(backend)
    # A plain library module (numpy, torch, cupy) maps to its array-api-compat
    # namespace; a compliant namespace maps to itself.
    try:
        probe = backend.asarray(0.0)
        xp = array_api_compat.array_namespace(probe)
    except Exception:
        if hasattr(backend, "__array_api_version__"):
            return backend
        raise _errors.unknown_backend(backend) from None
    return xp


def namespace(backend) -> "Namespace":
    """The differentiable array API namespace over ``backend``.

    Parameters
    ----------
    backend : module or str
        A compliant array API namespace, an ``array_api_compat`` namespace, a
        library module (``numpy``, ``torch``, ``cupy``) or one of the names
        ``"numpy"``, ``"torch"``, ``"cupy"``, ``"array_api_strict"``,
        ``"dask"``, ``"jax"``.

    Returns
    -------
    Namespace
        A module object with every function, constant and dtype of the
        standard that the backend provides, plus ``linalg``, ``fft`` and the
        ``random`` extra.  The same backend always gives the same object.

    Raises
    ------
    ValueError
        ``backend`` is not a namespace or a known name.
    ImportError
        The named backend is not installed (or, for CuPy, has no GPU).

    Examples
    --------
    >>> import arrayapi_autograd as ag
    >>> xp = ag.namespace("numpy")
    >>> xp is ag.namespace("numpy")
    True
    """
    xp = _resolve(backend)
    with _LOCK:
        ns = _CACHE.get(id(xp))
        if ns is None:
            ns = Namespace(xp)
            _CACHE[id(xp)] = ns
    return ns


def _backend_name(xp) -> str:
    name = getattr(xp, "__name__", type(xp).__name__)
    for short, module_name in _KNOWN.items():
        if name == module_name:
            return short
    return name


class Namespace(types.ModuleType):
    """A differentiable array API namespace bound to one backend namespace ``xp``."""

    def __init__(self, xp):
        backend_name = _backend_name(xp)
        public_name = f"arrayapi_autograd.{backend_name}" if backend_name in _KNOWN \
            else f"arrayapi_autograd[{backend_name}]"
        super().__init__(public_name, f"Differentiable array API namespace over {backend_name}.")
        self._xp = xp
        self._backend_name = backend_name
        self._array_type = type(xp.asarray(0.0))
        self._other_array_types: dict[type, bool] = {}
        if array_api_compat.is_jax_namespace(xp):
            _register_jax_pytree()
        self._float_cache: dict = {}
        self._complex_cache: dict = {}
        self._backend_api_version = getattr(xp, "__array_api_version__", None)
        # PyTorch tensors carry their own autograd, which must not run inside ours
        self._check_requires_grad = array_api_compat.is_torch_namespace(xp)
        for name in _DTYPE_NAMES + _CONSTANTS:
            if hasattr(xp, name):
                setattr(self, name, getattr(xp, name))
        self.Array = Array
        self._functions: dict[str, Any] = {}
        # per op record name: (record, forward bound to the backend), what the array
        # object's operators and indexing run
        self._records: dict[str, tuple] = {}
        self._constants: dict = {}
        self._last_constant: tuple = (None, None, None, None)
        self._bind_tables()
        self._raw = RawNamespace(self) if _rules_run_on_backend_arrays(xp) else None
        self.random = RandomNamespace(self)
        if hasattr(self._array_type, "persist") and hasattr(self._array_type,
                                                            "__dask_graph__"):
            # a lazy backend's arrays can be persisted (Dask): ns.persist(*arrays)
            self.persist = functools.partial(persist, self)
            functools.update_wrapper(self.persist, persist)

    @property
    def __array_api_version__(self) -> str:
        """The edition of the standard in force (``set_array_api_version``), at most the backend's."""
        backend = self._backend_api_version
        if isinstance(backend, str) and backend < _api_version:
            return backend
        return _api_version

    def __array_namespace_info__(self) -> "Info":
        """The inspection object of the standard (the backend's answers, our containers)."""
        return Info(self)

    def __repr__(self) -> str:
        return f"<namespace {self.__name__} over {getattr(self._xp, '__name__', self._xp)}>"

    def __reduce__(self):
        return (namespace, (self._backend_name,))

    # --- binding --------------------------------------------------------------

    def _bind_tables(self) -> None:
        xp = self._xp
        bodies, scope = {1: dispatch_one, 2: dispatch_two}, dispatch_scope()
        for op in ops.ALL_OPS:
            prefix, _, short = op.name.rpartition(".")
            source = xp
            if prefix:
                source = getattr(xp, prefix, None)
                if source is None:
                    continue
            if op.bind is not None:
                function = op.bind(op, self)
                if function is None:
                    continue
            else:
                if op.forward is None:
                    forward = getattr(source, short, None)
                    if forward is None:
                        continue
                else:
                    forward = _bound_forward(op.forward, xp)
                if op.adapt is not None:
                    forward = op.adapt(forward, self)
                function = make_function(op, forward, self, _call, bodies, scope)
                self._records[op.name] = (op, forward)
            self._functions[op.name] = function
        _place_functions(self, "differentiable")

    def _function(self, name: str):
        """The bound function of an op record name (``"sum"``, ``"linalg.solve"``)."""
        return self._functions[name]

    # --- helpers used by the machinery ------------------------------------------

    def _is_float_dtype(self, dtype) -> bool:
        """Whether ``dtype`` is real floating or complex floating (can carry gradients)."""
        result = self._float_cache.get(dtype)
        if result is None:
            result = bool(self._xp.isdtype(dtype, ("real floating", "complex floating")))
            self._float_cache[dtype] = result
        return result

    def _is_complex_dtype(self, dtype) -> bool:
        result = self._complex_cache.get(dtype)
        if result is None:
            result = bool(self._xp.isdtype(dtype, "complex floating"))
            self._complex_cache[dtype] = result
        return result

    def _constant(self, p, like):
        """A backend array for a constant input ``p`` of a rule: a Python scalar (or a
        NumPy floating scalar) takes ``like``'s dtype and device (as the standard's
        promotion gives it), a backend array stays as it is.

        Non-zero real Python scalars are converted once per dtype and device
        (zeros keep their sign, NaNs and complex numbers are not cached).
        """
        kind = type(p)
        if kind is float or kind is int:
            # the last one converted, by identity (a literal of a loop's body is one object)
            last = self._last_constant
            if p is last[0] and like.dtype is last[1] and \
                    getattr(like, "device", None) == last[2]:
                return last[3]
        elif not isinstance(p, _SCALARS):
            if isinstance(p, np.generic) and p.dtype.kind in "fc":
                # a NumPy floating scalar (np.float32(0.1)): its value, at the output's
                # precision, as a Python scalar would be
                return self._xp.asarray(p.item(), dtype=like.dtype, device=self._device(like))
            return p
        dtype = like.dtype
        key = None
        if (kind is float or kind is int) and p != 0:
            key = (kind, p, dtype, getattr(like, "device", None))
            try:
                raw = self._constants.get(key)
            except TypeError:  # an unhashable dtype or device: no caching
                key = raw = None
            if raw is not None:
                self._last_constant = (p, dtype, key[3], raw)
                return raw
        if isinstance(p, complex) and not self._is_complex_dtype(dtype):
            dtype = None
        raw = self._xp.asarray(p, dtype=dtype, device=self._device(like))
        # only concrete arrays are cached: under a tracer (jax.jit) the constant belongs
        # to that trace and must not leak into the next one
        if key is not None and type(raw) is self._array_type:
            if len(self._constants) > 1024:
                self._constants.clear()
            self._constants[key] = raw
            self._last_constant = (p, dtype, key[3], raw)
        return raw

    def _as_array(self, raw):
        """A backend array for ``raw`` (NumPy returns scalars for 0-d results)."""
        if isinstance(raw, self._array_type):
            return raw
        return self._xp.asarray(raw)

    def _wrap(self, out, version=None):
        """Wrap a raw result (array, or tuple/list/namedtuple of arrays)."""
        if isinstance(out, (tuple, list)):
            return self._rebuild(out, [self._wrap(o, version) for o in out])
        if not isinstance(out, self._array_type):
            if type(out) in (bool, int, float, complex) or out is None:
                # Python scalars (e.g. from a backend's __int__-like functions); NumPy
                # scalars (np.float64 subclasses float) from 0-d operators are wrapped
                return out
            out = self._xp.asarray(out)
        return Array._from_node(out, self, None, 0, version, None)

    @staticmethod
    def _rebuild(out, results):
        if isinstance(out, tuple) and hasattr(out, "_fields"):
            return type(out)(*results)
        if isinstance(out, list):
            return list(results)
        return tuple(results)

    def _is_backend_array(self, obj) -> bool:
        return isinstance(obj, self._array_type) or self._is_other_array_type(obj)

    def _is_other_array_type(self, obj) -> bool:
        """Whether ``obj`` is an array of this backend of another type than ``_array_type``.

        JAX traces under ``jax.jit`` with tracer objects that are arrays of
        ``jax.numpy`` but not of the type ``jnp.asarray(0.0)`` has.  The
        capability is checked once per type: ``obj`` is ours when its array
        API namespace is this backend's.
        """
        kind = type(obj)
        known = self._other_array_types.get(kind)
        if known is None:
            known = False
            if not isinstance(obj, Array) and hasattr(obj, "__array_namespace__"):
                try:
                    known = array_api_compat.array_namespace(obj) is self._xp
                except Exception:
                    known = False
            self._other_array_types[kind] = known
        return known

    def _check_foreign(self, obj) -> None:
        """Raise unless ``obj`` is an array of this backend (a constant input).

        A PyTorch tensor that requires a gradient is refused too
        (:func:`_errors.tensor_requires_grad`): our tape is the one that records.
        """
        if isinstance(obj, self._array_type) or self._is_other_array_type(obj):
            if self._check_requires_grad and obj.requires_grad:
                raise _errors.tensor_requires_grad(self)
            return
        if isinstance(obj, Array):
            raise _errors.mixed_namespaces(self, obj._ns)
        raise _errors.foreign_array(self, obj)

    def _refuse_requires_grad(self, obj) -> None:
        """Raise for a PyTorch tensor that requires a gradient (only called for torch)."""
        if getattr(obj, "requires_grad", False) and self._is_backend_array(obj):
            raise _errors.tensor_requires_grad(self)

    def _size(self, raw):
        return array_api_compat.size(raw)

    def _device(self, raw):
        return array_api_compat.device(raw)

    def _to_numpy(self, raw):
        import numpy as np

        if hasattr(raw, "resolve_conj"):  # lazily conjugated views (PyTorch) materialize first
            raw = raw.resolve_conj()
        try:
            return np.asarray(raw)
        except Exception:
            return np.from_dlpack(raw)

    def _format(self, raw) -> str:
        if array_api_compat.is_lazy_array(raw):
            return repr(raw)
        try:
            import numpy as np

            return np.array2string(self._to_numpy(raw), separator=", ", prefix="Array(")
        except Exception:
            return str(raw)

    @staticmethod
    def _dtype_name(dtype) -> str:
        return str(dtype).rpartition(".")[2]

    def _to_device(self, array, device, stream):
        return self._functions["_to_device"](array, device, stream=stream)


def _place_functions(namespace, kind: str) -> None:
    """Set ``namespace._functions`` as its attributes, the extensions' as submodules.

    Private records (``_scatter_add``, ``_to_device``) are reached through
    ``_function()`` only: as attributes they would shadow the namespace's
    methods.  The ``linalg`` extension repeats the main namespace's functions
    that the standard lists there too, where the backend has them.
    """
    extensions: dict[str, types.ModuleType] = {}
    for name, function in namespace._functions.items():
        prefix, _, short = name.rpartition(".")
        if short.startswith("_"):
            continue
        if prefix:
            module = extensions.get(prefix)
            if module is None:
                module = extensions[prefix] = types.ModuleType(
                    f"{namespace.__name__}.{prefix}", f"The {prefix} extension, {kind}.")
                setattr(namespace, prefix, module)
            setattr(module, short, function)
        else:
            setattr(namespace, short, function)
    linalg = extensions.get("linalg")
    if linalg is not None:
        for name in ops.linalg.MAIN_NAMESPACE_ALIASES:
            if name in namespace._functions and hasattr(namespace._xp.linalg, name):
                setattr(linalg, name, namespace._functions[name])


class RawNamespace(types.ModuleType):
    """The namespace's functions on the backend's own arrays, without recording.

    A backward that records nothing (no ``create_graph``, no open forward-mode
    level) runs the derivative rules with this namespace and backend arrays:
    the same functions, standard signatures and forwards as the
    differentiable namespace, minus the wrapping.  Private helpers
    (``_is_complex_dtype``, ``_xp``...) are the differentiable namespace's.
    """

    def __init__(self, ns):
        super().__init__(f"{ns.__name__}._raw", RawNamespace.__doc__)
        self._wrapped = ns
        self._raw = self
        # the helpers the rules and the tape use, as plain attributes (no look-up chain)
        for name in ("_xp", "_is_complex_dtype", "_is_float_dtype", "_complex_cache",
                     "_float_cache", "_device", "_constant", "_rebuild", "_array_type",
                     "Array"):
            setattr(self, name, getattr(ns, name))
        self._functions: dict[str, Any] = {}
        xp = ns._xp
        for name in _DTYPE_NAMES + _CONSTANTS:
            if hasattr(ns, name):
                setattr(self, name, getattr(ns, name))
        for name, bound in ns._functions.items():
            record = ns._records.get(name)
            prefix, _, short = name.rpartition(".")
            if record is None:  # built by the record's bind: the backend's own function
                function = getattr(getattr(xp, prefix) if prefix else xp, short, None)
                if function is None:
                    continue
            else:
                function = make_raw_function(*record, bound.__module__)
            self._functions[name] = function
        _place_functions(self, "on backend arrays")

    def __getattr__(self, name):
        if name.startswith("_"):
            return getattr(self._wrapped, name)
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def _function(self, name: str):
        return self._functions[name]

    def _to_device(self, array, device, stream):
        return self._functions["_to_device"](array, device, stream=stream)

    def _wrap(self, out, version=None):
        return out


def persist(ns, *arrays, **kwargs) -> tuple:
    """Persist several arrays at once (``arrayapi_autograd.dask.persist``).

    As Dask's ``dask.persist``: the task graphs of the arrays' data run
    together (a subgraph they share runs once) and each array comes back with
    its data computed and kept in memory, on the cluster's workers under a
    ``Client``.  Each result keeps its array's place on the tape (node, output
    index, version counter) and its forward-mode tangents, as
    :meth:`Array.persist` does, so gradients still flow and a leaf stays the
    same variable.  Other values pass through unchanged; ``kwargs`` go to
    Dask (``scheduler=...``).

    Parameters
    ----------
    *arrays : Array
        Arrays of this namespace (other values are returned as they are).

    Returns
    -------
    tuple
        One value per argument, in order.

    Raises
    ------
    TypeError
        An argument is an array of another namespace.

    Examples
    --------
    >>> import dask.array as da
    >>> import arrayapi_autograd.dask as xp
    >>> w = xp.asarray(da.ones(4, chunks=2)) * 2.0
    >>> (w,) = xp.persist(w)
    >>> w.compute()
    array([2., 2., 2., 2.])
    """
    import dask

    positions = []
    for i, a in enumerate(arrays):
        if isinstance(a, Array):
            if a._ns is not ns:
                raise _errors.mixed_namespaces(ns, a._ns)
            positions.append(i)
    persisted = dask.persist(*(arrays[i]._data for i in positions), **kwargs)
    results = list(arrays)
    for i, data in zip(positions, persisted):
        a = arrays[i]
        results[i] = Array._from_node(data, ns, a._node, a._index, a._version, a._tangents)
    return tuple(results)


def _rules_run_on_backend_arrays(xp) -> bool:
    """Whether derivative rules can run on the backend's own arrays (``ns._raw``).

    Rules write into copies (item assignment) and read the array object's
    ``device`` and ``mT``.  JAX's arrays are immutable and Dask's have no
    ``device``: their rules always run on wrapped arrays, which provide both.
    """
    probe = xp.zeros((1, 1))
    if not (hasattr(probe, "device") and hasattr(probe, "mT")):
        return False
    try:
        probe[0, 0] = 1.0
    except (TypeError, ValueError, NotImplementedError):
        return False
    return True


class RandomNamespace(types.ModuleType):
    """``ns.random``: seeded pseudo-random arrays from the backend's own generator.

    Not part of the array API standard (the one extra the design allows).
    Each namespace owns one generator of its backend (NumPy's
    ``default_rng``, PyTorch's ``torch.Generator``, CuPy's ``default_rng``);
    backends without one draw from NumPy and convert with ``asarray``.
    Results never require a gradient; call ``attach_grad()`` on them.
    Offers ``seed``, ``normal``, ``uniform``, ``integers`` and ``permutation``.
    """

    _PUBLIC = ("seed", "normal", "uniform", "integers", "permutation")

    def __init__(self, ns):
        super().__init__(f"{ns.__name__}.random", RandomNamespace.__doc__)
        self._ns = ns
        self.seed(None)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._PUBLIC))

    def seed(self, seed=None) -> None:
        """Re-seed this namespace's generator (``None``: fresh entropy)."""
        xp = self._ns._xp
        if array_api_compat.is_torch_namespace(xp):
            import torch

            self._torch = torch.Generator()
            if seed is None:
                self._torch.seed()
            else:
                self._torch.manual_seed(int(seed))
            self._numpy = None
        elif array_api_compat.is_cupy_namespace(xp):
            import cupy

            self._numpy = cupy.random.default_rng(seed)
            self._torch = None
        else:
            self._numpy = np.random.default_rng(seed)
            self._torch = None

    def _get_state(self):
        """The generator's state (``checkpoint`` replays it when it recomputes)."""
        if self._torch is not None:
            return self._torch.get_state()
        bit_generator = getattr(self._numpy, "bit_generator", None)
        return None if bit_generator is None else bit_generator.state

    def _set_state(self, state) -> None:
        if state is None:
            return
        if self._torch is not None:
            self._torch.set_state(state)
        else:
            self._numpy.bit_generator.state = state

    def _shape(self, size):
        if size is None:
            return ()
        if isinstance(size, int):
            return (size,)
        return tuple(size)

    def _finish(self, raw, dtype, device):
        ns = self._ns
        xp = ns._xp
        if dtype is None:
            dtype = ns.__array_namespace_info__().default_dtypes(device=device)["real floating"]
        return ns._wrap(xp.asarray(raw, dtype=dtype, device=device))

    def normal(self, loc=0.0, scale=1.0, size=None, *, dtype=None, device=None):
        """Samples of N(loc, scale**2) of shape ``size`` (``None``: a 0-d array).

        Parameters
        ----------
        loc, scale : float
            Mean and standard deviation.
        size : int or tuple of int, optional
        dtype : real floating dtype, optional
            Default: the backend's default real floating dtype.
        """
        shape = self._shape(size)
        if self._torch is not None:
            import torch

            raw = torch.randn(shape, generator=self._torch, dtype=torch.float64) * scale + loc
        else:
            raw = self._numpy.normal(loc, scale, shape)
        return self._finish(raw, dtype, device)

    def uniform(self, low=0.0, high=1.0, size=None, *, dtype=None, device=None):
        """Samples of U[low, high) of shape ``size`` (``None``: a 0-d array)."""
        shape = self._shape(size)
        if self._torch is not None:
            import torch

            raw = torch.rand(shape, generator=self._torch, dtype=torch.float64) * (high - low) + low
        else:
            raw = self._numpy.uniform(low, high, shape)
        return self._finish(raw, dtype, device)

    def integers(self, low, high=None, size=None, *, dtype=None, device=None):
        """Integers drawn uniformly from [low, high) (from [0, low) if ``high`` is None)."""
        if high is None:
            low, high = 0, low
        shape = self._shape(size)
        if self._torch is not None:
            import torch

            raw = torch.randint(low, high, shape, generator=self._torch)
        else:
            raw = self._numpy.integers(low, high, shape)
        ns = self._ns
        if dtype is None:
            dtype = ns.__array_namespace_info__().default_dtypes(device=device)["integral"]
        return ns._wrap(ns._xp.asarray(raw, dtype=dtype, device=device))

    def permutation(self, x, *, device=None):
        """A random permutation: of ``arange(x)`` for an integer ``x``, else of ``x``'s
        first axis (a shuffled copy, differentiable through the indexing).

        Parameters
        ----------
        x : int or Array
            The length of the permutation, or the array to shuffle along axis 0.

        Returns
        -------
        Array
            ``int``: a 1-D array of the default integer dtype.  ``Array``: ``x``
            with its rows in random order (``x[perm]``).

        Raises
        ------
        TypeError
            ``x`` is neither an integer nor an array of this namespace.
        ValueError
            ``x`` is a 0-d array (no axis to shuffle).
        """
        ns = self._ns
        if isinstance(x, int) and not isinstance(x, bool):
            n = x
        elif isinstance(x, ns.Array) and x._ns is ns:
            if x.ndim == 0:
                raise _errors.permutation_of_0d()
            n = x.shape[0]
        else:
            raise _errors.permutation_argument(x)
        if self._torch is not None:
            import torch

            raw = torch.randperm(n, generator=self._torch)
        else:
            raw = self._numpy.permutation(n)
        if isinstance(x, int):
            dtype = ns.__array_namespace_info__().default_dtypes(device=device)["integral"]
            return ns._wrap(ns._xp.asarray(raw, dtype=dtype, device=device))
        indices = ns._xp.asarray(raw, device=ns._device(x._data))
        return ns.take(x, ns._wrap(indices), axis=0)


class Info:
    """``__array_namespace_info__()`` of a namespace: the backend's, where it has one.

    ``capabilities``, ``default_device``, ``default_dtypes`` and ``dtypes``
    are the backend's answers; ``devices`` too, as a list up to the 2024.12
    edition of the standard and a tuple from 2025.12 (the version in force).
    A backend without ``__array_namespace_info__`` gets answers read from its
    arrays: its default device and dtypes, and the standard's dtypes it has.
    """

    __slots__ = ("_ns", "_backend")

    def __init__(self, ns: Namespace):
        self._ns = ns
        info = getattr(ns._xp, "__array_namespace_info__", None)
        self._backend = info() if info is not None else None

    def __repr__(self) -> str:
        return f"<__array_namespace_info__ of {self._ns!r}>"

    def capabilities(self) -> dict:
        if self._backend is not None:
            return self._backend.capabilities()
        return {"boolean indexing": True, "data-dependent shapes": True,
                "max dimensions": None}

    def default_device(self):
        if self._backend is not None:
            return self._backend.default_device()
        return self._ns._device(self._ns._xp.asarray(0.0))

    def devices(self):
        found = (self._backend.devices() if self._backend is not None
                 else [self.default_device()])
        return tuple(found) if self._ns.__array_api_version__ >= "2025.12" else list(found)

    def default_dtypes(self, *, device=None) -> dict:
        if self._backend is not None:
            return self._backend.default_dtypes(device=device)
        xp = self._ns._xp
        return {"real floating": xp.asarray(0.0).dtype,
                "complex floating": xp.asarray(0j).dtype,
                "integral": xp.asarray(0).dtype, "indexing": xp.asarray(0).dtype}

    def dtypes(self, *, device=None, kind=None) -> dict:
        if self._backend is not None:
            return self._backend.dtypes(device=device, kind=kind)
        xp = self._ns._xp
        found = {name: getattr(xp, name) for name in _DTYPE_NAMES if hasattr(xp, name)}
        if kind is None:
            return found
        return {name: dtype for name, dtype in found.items() if xp.isdtype(dtype, kind)}


def _register_jax_pytree() -> None:
    """Make :class:`Array` a JAX pytree node, so that ``jax.jit`` and the other JAX
    transforms take and return wrapped arrays.

    An Array flattens to its backend array (the leaf) with its namespace as the
    static part; it unflattens without history (a traced function's inputs and
    outputs are values, as in ``jax.jit``).  Registered once, when the first
    namespace over ``jax.numpy`` is built.
    """
    from jax import tree_util

    global _JAX_REGISTERED
    with _LOCK:
        if _JAX_REGISTERED:
            return
        tree_util.register_pytree_node(
            Array,
            lambda a: ((a._data,), a._ns),
            lambda ns, children: Array._from_node(children[0], ns, None, 0))
        _JAX_REGISTERED = True


_JAX_REGISTERED = False


def _bound_forward(forward, xp):
    def bound(*args, **kwargs):
        return forward(xp, *args, **kwargs)

    return bound

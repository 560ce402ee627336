"""The backends the conformance suite runs on: the only module that names libraries.

Each member of :class:`Backend` is one array library (and device) that the
suite knows how to set up, in the manner of array-api-extra's
``_lib/_backends.py``.  ``Backend.load()`` returns a :class:`Target`: the raw
array API namespace (``xp``), the differentiable namespace over it (``ns``),
the device to create arrays on, and a converter back to NumPy; or a
:class:`Unavailable` that says why the backend cannot run here (not
installed, no GPU).

Any other compliant namespace is loaded by module name with
:func:`load_module` (``python -m conformance_tests --backend mylib.array_api``):
it is wrapped with :func:`arrayapi_autograd.namespace` and converted to NumPy
through the buffer protocol or DLPack.

Adding a backend takes one enum member (and, if its arrays cannot be read by
``numpy.asarray`` or ``numpy.from_dlpack``, a converter).
"""

from __future__ import annotations

import enum
import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import arrayapi_autograd


@dataclass
class Target:
    """A backend ready to run: ``xp`` (raw namespace), ``ns`` (ours), ``device``."""

    name: str
    xp: Any
    ns: Any
    device: Any = None
    to_numpy_fn: Callable | None = None
    skipped_dtypes: dict = field(default_factory=dict)
    """``{dtype name: reason}``: dtypes not checked here unless asked for (``--dtype``)."""

    available = True
    reason = ""

    def dtype(self, name: str):
        """The backend's dtype object called ``name``, or ``None`` if it lacks it."""
        return getattr(self.xp, name, None)

    def asarray(self, value: np.ndarray, dtype_name: str | None = None):
        """A raw backend array with the values of NumPy ``value``."""
        dtype = self.dtype(dtype_name or value.dtype.name)
        value = np.asarray(value)
        if self.device is None:
            return self.xp.asarray(value, dtype=dtype)
        return self.xp.asarray(value, dtype=dtype, device=self.device)

    def to_numpy(self, raw) -> np.ndarray:
        """A NumPy copy of a raw backend array (or scalar)."""
        if self.to_numpy_fn is not None:
            return self.to_numpy_fn(raw)
        return _generic_to_numpy(raw)


@dataclass
class Unavailable:
    """A backend that cannot run here, and why (printed as the skip reason)."""

    name: str
    reason: str

    available = False


def _generic_to_numpy(raw) -> np.ndarray:
    if isinstance(raw, (bool, int, float, complex, np.generic, np.ndarray)):
        return np.asarray(raw)
    try:
        return np.asarray(raw)
    except Exception:
        pass
    try:
        return np.from_dlpack(raw)
    except Exception:
        return np.from_dlpack(raw, device="cpu")


def _torch_to_numpy(raw) -> np.ndarray:
    if not hasattr(raw, "detach"):
        return np.asarray(raw)
    return raw.detach().numpy(force=True)


def _cupy_to_numpy(raw) -> np.ndarray:
    return raw.get() if hasattr(raw, "get") else np.asarray(raw)


def _dask_to_numpy(raw) -> np.ndarray:
    # the samples are tiny: the synchronous scheduler beats a thread pool
    return np.asarray(raw.compute(scheduler="synchronous") if hasattr(raw, "compute")
                      else raw)


class Backend(enum.Enum):
    """Array libraries the suite knows; ``value`` is the name used on the command line."""

    NUMPY = "numpy"
    TORCH = "torch"
    ARRAY_API_STRICT = "array_api_strict"
    CUPY = "cupy"
    TORCH_CUDA = "torch-cuda"
    DASK = "dask"
    JAX = "jax"

    @property
    def needs_gpu(self) -> bool:
        return self in (Backend.CUPY, Backend.TORCH_CUDA)

    @property
    def opt_in(self) -> bool:
        """Run only when named (``--backend jax``): too slow for the default run.

        Eager JAX compiles an XLA executable per operation, shape and dtype:
        ``python -m conformance_tests --backend jax`` (five examples per op, double
        precision) took 9.5 minutes on 2 CPU cores.
        """
        return self is Backend.JAX

    def load(self) -> Target | Unavailable:
        """Import the library and build the namespaces, or say why it cannot run."""
        try:
            if self is Backend.NUMPY:
                return _target(self.value, "numpy")
            if self is Backend.ARRAY_API_STRICT:
                return _target(self.value, "array_api_strict")
            if self is Backend.TORCH:
                return _target(self.value, "torch", device="cpu", to_numpy=_torch_to_numpy)
            if self is Backend.TORCH_CUDA:
                import torch

                if not torch.cuda.is_available():
                    return Unavailable(self.value, "no CUDA GPU available to PyTorch")
                return _target(self.value, "torch", device="cuda", to_numpy=_torch_to_numpy)
            if self is Backend.CUPY:
                import cupy

                if cupy.cuda.runtime.getDeviceCount() < 1:
                    return Unavailable(self.value, "no CUDA GPU available to CuPy")
                return _target(self.value, "cupy", to_numpy=_cupy_to_numpy)
            if self is Backend.DASK:
                return _target(self.value, "dask", to_numpy=_dask_to_numpy)
            if self is Backend.JAX:
                import jax

                jax.config.update("jax_enable_x64", True)  # float64 samples stay float64
                target = _target(self.value, "jax")
                target.skipped_dtypes = dict.fromkeys(("float32", "complex64"), _JAX_SINGLE)
                return target
        except ImportError as exc:
            return Unavailable(self.value, f"not installed ({exc})")
        except Exception as exc:  # a broken driver, a missing GPU...
            return Unavailable(self.value, f"{type(exc).__name__}: {exc}")
        raise AssertionError(self)


_JAX_SINGLE = (
    "eager JAX compiles one XLA executable per operation, shape and dtype (about "
    "30 ms each on a CPU), which makes most of a JAX run; single precision would "
    "double it for the same rules, so JAX is checked in double precision")


def _target(name: str, backend: str, device=None, to_numpy=None) -> Target:
    ns = arrayapi_autograd.namespace(backend)
    return Target(name, ns._xp, ns, device, to_numpy)


def load_module(module_name: str) -> Target | Unavailable:
    """A third-party compliant namespace, by module name (``"mylib.array_api"``)."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return Unavailable(module_name, f"cannot import {module_name!r} ({exc})")
    try:
        ns = arrayapi_autograd.namespace(module)
    except Exception as exc:
        return Unavailable(module_name, f"not wrappable: {type(exc).__name__}: {exc}")
    return Target(module_name, ns._xp, ns, None, None)


def load(name: str) -> Target | Unavailable:
    """A backend by its command-line name: an enum value or a module name."""
    for member in Backend:
        if member.value == name:
            return member.load()
    return load_module(name)


DEFAULT_BACKENDS = tuple(member.value for member in Backend if not member.opt_in)
"""Every known backend but the opt-in one (JAX: ``--backend jax``); the GPU ones, and
any that is not installed, report themselves unavailable."""

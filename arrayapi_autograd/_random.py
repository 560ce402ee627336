"""The ``random`` extra: seeded pseudo-random arrays from each backend's own generator.

Not part of the array API standard (DESIGN.md allows this one extra).  Each
namespace owns one generator of its backend (NumPy's ``default_rng``,
PyTorch's ``torch.Generator``, CuPy's ``default_rng``); backends without one
draw from NumPy and convert with ``asarray``.  Results never require a
gradient; call ``attach_grad()`` on them.
"""

from __future__ import annotations

import types

import array_api_compat
import numpy as np


class RandomNamespace(types.ModuleType):
    """``ns.random``: ``seed``, ``normal``, ``uniform``, ``integers``."""

    def __init__(self, ns):
        super().__init__(f"{ns.__name__}.random", __doc__)
        self._ns = ns
        self.seed(None)

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

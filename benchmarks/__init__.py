"""Benchmarks of arrayapi_autograd against its peers: overhead, memory and Jacobians.

Run as ``python -m benchmarks`` (``--help`` lists the options).  One run
measures, side by side and in alternating order, the medians of repeated
timings of:

* ``ours-numpy`` and ``ours-torch``: arrayapi_autograd over NumPy and PyTorch;
* ``ours-rows`` (Jacobian workloads only): arrayapi_autograd over NumPy, one
  ``vjp``/``jvp`` per row in a Python loop, the baseline for batched Jacobians;
* ``numpy``: hand-written NumPy forward and backpropagation (the floor);
* ``torch``: PyTorch autograd, through ``array_api_compat.torch``;
* ``autograd``: HIPS autograd (PyPI ``autograd``), through ``autograd.numpy``;
* ``mygrad``: MyGrad, through its NumPy-like top-level namespace;
* ``jax`` and ``jax-jit``: JAX eager and ``jax.jit`` (skipped when not installed).

The workloads (see :mod:`benchmarks.workloads`) are written once against the
array API, taking the namespace as an argument, and run unchanged on every
library; only the hand-written NumPy floor has its own code.  Peers come with
the ``bench`` extra (``pip install -e .[bench]``); a missing peer is skipped
with a note.  BLAS and intra-op threads are pinned to one for every library.
"""

from __future__ import annotations

__all__ = ["run", "WORKLOADS", "LIBRARIES"]


def __getattr__(name):
    # Lazy, so that ``python -m benchmarks`` can pin threads before NumPy loads.
    if name in __all__:
        from . import _runner

        return getattr(_runner, name)
    raise AttributeError(name)

"""The tape over Dask at scale: one gradient of a 10^8-element float64 computation.

Run as ``python -m benchmarks.dask_scale [--n 10000] [--take sums|rows] [--quick]``.
The loss, written once against the array API (``xp`` is an argument), has
the four kinds of operation a model is made of, on an ``n x n`` float64 array
``x`` (``n = 10^4``: 10^8 elements, 800 MB) and an ``n x p`` array ``v``:

* an elementwise chain: ``y = tanh(x) * exp(-x**2 / 2) + 0.1 * sin(3 x)``;
* a reduction along an axis: ``s = sum(y * y, axis=1)``;
* a ``take``: ``k`` rows of ``y`` (``--take rows``, the default: a gather
  from the 10^8-element array, whose backward is a scatter-add into it), or
  ``k`` entries of ``s`` (``--take sums``);
* a ``matmul``: ``h = y @ v``;

and the loss is ``sum(take(...)) + sum(tanh(h))``.  Its gradient with
respect to ``x`` and ``v`` (``arrayapi_autograd.value_and_grad``) is timed:

* ``ours-dask``: over ``arrayapi_autograd.dask`` on a ``distributed.LocalCluster``
  of ``--workers`` worker processes (one thread each) with ``--memory-limit``
  each (2 x 2 GB by default).  ``x`` is drawn on the workers
  (``dask.array.random``, chunks of ``--chunk-rows`` rows); the time covers
  recording, the backward (both only build the graph) and computing, on the
  cluster, the loss, the gradient of ``v`` and two sums of the gradient of
  ``x`` (its 800 MB are not gathered).  The worker processes are the same ones
  after as before (no worker was restarted, for memory or any other reason).
* ``ours-numpy``: the same values (``x`` computed from the same Dask array)
  over ``arrayapi_autograd.numpy`` in this process, which needs ``x``, the
  values the tape keeps and the gradient in one process's memory (several GB
  at ``n = 10^4``); its peak resident set is reported.

The results of both are checked to agree (``rtol`` 1e-9: the sums run in
different orders).  The time is one run each (a warm cluster, after a
warm-up at a tiny size), not a median: a run at this size takes tens of
seconds.  This module is separate from the workloads of ``python -m benchmarks``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

import numpy as np


def loss(xp, x, v, idx, take: str = "rows"):
    """The benchmark's scalar loss (see the module docstring)."""
    y = xp.tanh(x) * xp.exp(-0.5 * (x * x)) + 0.1 * xp.sin(3.0 * x)
    s = xp.sum(y * y, axis=1)
    idx = xp.asarray(idx)
    picked = xp.take(s, idx) if take == "sums" else xp.take(y, idx, axis=0)
    h = y @ v
    return xp.sum(picked) + xp.sum(xp.tanh(h))


def _inputs(n: int, p: int, k: int, chunk_rows: int):
    import dask.array as da

    x = da.random.default_rng(0).standard_normal((n, n), chunks=(chunk_rows, n))
    rng = np.random.default_rng(1)
    v = rng.standard_normal((n, p)) / np.sqrt(n)
    idx = np.sort(rng.choice(n, size=k, replace=False)).astype(np.int64)
    return x, v, idx


def _summary(xp, value, gx, gv):
    """What is compared (and, on Dask, computed): the loss, the gradient of ``v``, and
    the sum and the sum of squares of the gradient of ``x``."""
    return [value, gv, xp.sum(gx), xp.sum(gx * gx)]


def _peak_rss_bytes() -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _reset_peak_rss() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def run_dask(x, v, idx, take: str, *, workers: int = 2, memory_limit="2GB",
             processes: bool = True):
    """Seconds of one gradient on a LocalCluster, its summary, whether the workers
    survived (the same worker processes before and after), and the bytes they spilled
    to disk."""
    import dask.array as da
    import distributed

    import arrayapi_autograd as ag
    import arrayapi_autograd.dask as dx

    kwargs = dict(n_workers=workers, threads_per_worker=1, processes=processes,
                  dashboard_address=None, memory_limit=memory_limit)
    with distributed.LocalCluster(**kwargs) as cluster, distributed.Client(cluster) as client:
        client.wait_for_workers(workers)
        # warm-up at a tiny size: imports and the first task on each worker
        small = dx.asarray(da.ones((8, 8), chunks=(4, 8)))
        warm = ag.value_and_grad(lambda a, b: loss(dx, a, b, idx % 8, take), argnums=(0, 1))(
            small, dx.asarray(v[:8]))
        client.compute([warm[0]._data, warm[1][0]._data], sync=True)
        before = client.run(os.getpid)
        t0 = time.perf_counter()
        value, (gx, gv) = ag.value_and_grad(lambda a, b: loss(dx, a, b, idx, take),
                                            argnums=(0, 1))(
            dx.asarray(x), dx.asarray(da.from_array(v, chunks=(x.chunks[0], v.shape[1]))))
        results = client.compute([r._data for r in _summary(dx, value, gx, gv)], sync=True)
        seconds = time.perf_counter() - t0
        after = client.run(os.getpid)
        spilled = sum(client.run(_spilled_bytes).values())
    survived = before == after and len(after) == workers
    return seconds, [np.asarray(r) for r in results], survived, spilled


def _spilled_bytes(dask_worker) -> int:
    """Bytes a worker has written to disk so far (its memory limit made it spill)."""
    total = getattr(getattr(dask_worker, "data", None), "spilled_total", None)
    return int(getattr(total, "disk", 0) or 0)


def run_numpy(x, v, idx, take: str):
    """Seconds of the same gradient over ``arrayapi_autograd.numpy``, its summary, and the
    peak resident set of the process during it (bytes, where ``/proc`` tells it)."""
    import arrayapi_autograd as ag
    import arrayapi_autograd.numpy as nx

    data = x.compute(scheduler="threads")
    _reset_peak_rss()
    t0 = time.perf_counter()
    value, (gx, gv) = ag.value_and_grad(lambda a, b: loss(nx, a, b, idx, take),
                                        argnums=(0, 1))(nx.asarray(data), nx.asarray(v))
    results = [np.asarray(r.compute()) for r in _summary(nx, value, gx, gv)]
    seconds = time.perf_counter() - t0
    del value, gx, gv, data
    return seconds, results, _peak_rss_bytes()


def agree(a: list, b: list, rtol: float = 1e-9) -> bool:
    return all(np.allclose(u, w, rtol=rtol, atol=0.0) for u, w in zip(a, b))


def _versions() -> str:
    import dask
    import distributed

    return (f"Python {platform.python_version()}, NumPy {np.__version__}, "
            f"Dask {dask.__version__}, distributed {distributed.__version__}")


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB memory"
    except (ValueError, OSError):
        pass
    load = "%.1f" % os.getloadavg()[0] if hasattr(os, "getloadavg") else "?"
    return f"{model}, {os.cpu_count()} logical CPUs{memory}, load average {load} at the start"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dask_scale",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="x is n x n (default 10^4)")
    parser.add_argument("--p", type=int, default=8, help="columns of v")
    parser.add_argument("--k", type=int, default=64, help="entries taken")
    parser.add_argument("--take", choices=("rows", "sums"), default="rows")
    parser.add_argument("--chunk-rows", type=int, default=250)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--memory-limit", default="2GB")
    parser.add_argument("--skip-numpy", action="store_true",
                        help="time Dask only (the NumPy run needs the data in this process)")
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a smoke run)")
    args = parser.parse_args(argv)
    try:
        import dask.array  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as exc:
        print(f"Dask is not installed ({exc}): pip install 'arrayapi-autograd[dask]'")
        return 0
    if args.quick:
        args.n, args.k, args.chunk_rows = 200, 8, 50
    machine = _machine()
    x, v, idx = _inputs(args.n, args.p, args.k, args.chunk_rows)
    seconds, dask_results, survived, spilled = run_dask(x, v, idx, args.take, workers=args.workers,
                                               memory_limit=args.memory_limit)
    print(f"gradient of {args.n}x{args.n} float64 (take {args.take}, k={args.k}, "
          f"p={args.p}, chunks of {args.chunk_rows} rows)")
    print(f"machine: {machine}; {_versions()}")
    print("| library | where | seconds | memory | workers restarted | agrees |")
    print("|---|---|---|---|---|---|")
    row = f"| ours-dask | LocalCluster, {args.workers} workers x {args.memory_limit} | " \
          f"{seconds:.1f} | limit {args.workers} x {args.memory_limit}, " \
          f"{spilled / 2**30:.1f} GiB spilled to disk | {'none' if survived else 'YES'} |"
    if args.skip_numpy:
        print(row + " not checked |")
        return 0 if survived else 1
    np_seconds, np_results, peak = run_numpy(x, v, idx, args.take)
    same = agree(dask_results, np_results)
    print(row + f" {'yes' if same else 'NO'} |")
    peak_text = f"{peak / 2**30:.1f} GiB (peak RSS)" if peak else "?"
    print(f"| ours-numpy | this process | {np_seconds:.1f} | {peak_text} | - | reference |")
    return 0 if survived and same else 1


if __name__ == "__main__":
    sys.exit(main())

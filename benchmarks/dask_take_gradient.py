"""The gradient of a chunked ``take`` on a ``dask.distributed`` LocalCluster, measured.

``python -m benchmarks.dask_take_gradient [N] [CHUNKS]`` (default 10^7 elements in
16 chunks) builds ``grad(sum(take(x, i) ** 2))`` lazily with random repeated
indices, computes it on an in-process LocalCluster, checks it against NumPy's
``add.at``, and prints the time and the largest task result the scheduler held,
against the size of the whole array: the scatter-add of the backward works chunk
by chunk and never collects the values on one worker.  ``tests/test_dask.py``
runs the same check at a size the CI machine handles in seconds.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def largest_result_tracker():
    """A scheduler plugin recording the largest task result held in memory (bytes).

    The final task that concatenates the chunks for the client (``finalize-``) is
    left out: it is the answer itself, delivered to the client.
    """
    from distributed.diagnostics.plugin import SchedulerPlugin

    class Largest(SchedulerPlugin):
        name = "largest-result"

        def __init__(self):
            self.largest = 0
            self.tasks = 0

        def start(self, scheduler):
            self.scheduler = scheduler

        def transition(self, key, start, finish, *args, **kwargs):
            if finish == "memory" and not str(key).startswith("finalize-"):
                state = self.scheduler.tasks.get(key)
                if state is not None and state.nbytes is not None:
                    self.largest = max(self.largest, state.nbytes)
                    self.tasks += 1

    return Largest()


def run(n: int, chunks: int, seed: int = 0) -> dict:
    """Gradient of ``sum(take(x, i) ** 2)`` for ``n`` elements in ``chunks`` chunks."""
    import dask.array as da
    import distributed

    import arrayapi_autograd as ag

    dx = ag.namespace("dask")
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(n)
    indices = rng.integers(0, n, n)
    width = -(-n // chunks)
    plugin = largest_result_tracker()
    # in-process worker threads: no sockets, and no memory limit watching the whole
    # (test) process; the tracker reads the sizes the scheduler records
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                                  dashboard_address=None, memory_limit=0) as cluster, \
            distributed.Client(cluster) as client:
        plugin.start(cluster.scheduler)
        cluster.scheduler.add_plugin(plugin)
        start = time.perf_counter()
        x = dx.asarray(da.from_array(values, chunks=width))
        i = dx.asarray(da.from_array(indices, chunks=width))
        gradient = ag.grad(lambda a: dx.sum(dx.take(a, i) ** 2))(x)
        built = time.perf_counter() - start
        computed = client.compute(gradient._data, sync=True)
        elapsed = time.perf_counter() - start
    expected = np.zeros(n)
    np.add.at(expected, indices, 2 * values[indices])
    return {"n": n, "chunks": len(gradient._data.chunks[0]), "graph_seconds": built,
            "seconds": elapsed, "largest_result_bytes": plugin.largest,
            "array_bytes": values.nbytes, "tasks": plugin.tasks,
            "max_abs_error": float(np.max(np.abs(computed - expected)))}


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    n = int(float(argv[0])) if argv else 10_000_000
    chunks = int(argv[1]) if len(argv) > 1 else 16
    result = run(n, chunks)
    for key, value in result.items():
        print(f"{key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The scatter-add behind the backward of gathers: ``total[j] = sum(values[positions == j])``.

The VJP of every gather (``take``, ``take_along_axis``, integer-array and
boolean ``__getitem__``, an array ``repeats``) adds cotangents at positions,
repeats accumulating (PyTorch's ``index_add``/``index_put(accumulate=True)``).
:func:`scatter_add` does it on any backend:

* an indexed addition where the backend has one: ``index_add_`` (PyTorch),
  ``.at[].add`` (JAX), ``add.at`` (NumPy, CuPy);
* Dask: chunk by chunk (:func:`_dask_scatter_add`), lazily;
* any other namespace, with standard functions only (:func:`segment_sum`):
  the positions are sorted (``argsort``), equal positions, now adjacent, are
  summed by a segmented scan in ``log2(longest run)`` doubling steps, and
  each target position reads the sum of its run (``searchsorted``).

Every value stays in its own position: a NaN or an infinite cotangent spoils
only the entry it is added to, as with PyTorch's ``index_add``.  Time is
O(n log n + size log n) and memory O(n + size) for ``n`` values.
"""

from __future__ import annotations

import math

import array_api_compat


def scatter_add(xp, positions, values, size: int):
    """Zeros of ``(size,)`` with ``values`` added at ``positions`` (1-D, repeats add up).

    ``positions`` are non-negative integers below ``size``; ``values`` has the
    same length and any numeric dtype, which the result keeps.
    """
    device = array_api_compat.device(values)
    if array_api_compat.is_dask_array(values):
        return _dask_scatter_add(xp, positions, values, size)
    total = xp.zeros((size,), dtype=values.dtype, device=device)
    if hasattr(total, "index_add_"):  # in-place indexed addition (PyTorch-like)
        total.index_add_(0, positions, values)
        return total
    if hasattr(total, "at"):  # functional indexed addition of immutable arrays (JAX-like)
        return total.at[positions].add(values)
    if hasattr(getattr(xp, "add", None), "at"):  # unbuffered ufunc addition (NumPy-like)
        xp.add.at(total, positions, values)
        return total
    return segment_sum(xp, positions, values, size)


def _run_sums(xp, positions, values):
    """``positions`` sorted (stably) and ``values`` in the same order, each value
    replaced by the sum of the values of its run of equal positions up to it.

    A segmented inclusive scan (Hillis-Steele): at step ``d`` every value adds
    the one ``d`` places before it when that one has the same position; after
    ``ceil(log2(longest run))`` steps the last value of each run holds the
    run's sum.  Values of other runs are never added (``where`` selects, it
    does not multiply), so NaN and infinities stay within their run.
    """
    order = xp.argsort(positions, stable=True)
    ps = xp.take(positions, order, axis=0)
    vs = xp.take(values, order, axis=0)
    n = ps.shape[0]
    lazy = array_api_compat.is_lazy_array(ps)
    step = 1
    while step < n:
        same = ps[step:] == ps[:-step]
        if not lazy and not bool(xp.any(same)):
            break  # no run is longer than `step`: every run's sum is complete
        earlier = xp.where(same, vs[:-step], xp.zeros_like(vs[:-step]))
        vs = xp.concat([vs[:step], vs[step:] + earlier])
        step *= 2
    return ps, vs


def segment_sum(xp, positions, values, size: int):
    """:func:`scatter_add` with functions of the array API standard only."""
    device = array_api_compat.device(values)
    n = positions.shape[0]
    if n == 0 or size == 0:
        return xp.zeros((size,), dtype=values.dtype, device=device)
    ps, vs = _run_sums(xp, positions, values)
    targets = xp.arange(size, dtype=ps.dtype, device=device)
    ends = xp.searchsorted(ps, targets, side="right")
    present = ends > xp.searchsorted(ps, targets, side="left")
    last = xp.where(present, ends - 1, xp.zeros_like(ends))
    gathered = xp.take(vs, last, axis=0)
    return xp.where(present, gathered, xp.zeros_like(gathered))


# ---------------------------------------------------------------------------
# Dask: chunk by chunk, lazily
# ---------------------------------------------------------------------------


def _dask_scatter_add(xp, positions, values, size: int):
    """:func:`scatter_add` of Dask arrays as a task graph that never gathers all values.

    Each chunk of ``values`` is reduced on its own to its sorted distinct
    positions and their sums (:func:`_chunk_runs`); each output chunk
    ``[lo, hi)`` takes from every reduced chunk the slice of positions that
    fall in it (two binary searches, :func:`_chunk_piece`) and adds them up
    (:func:`_chunk_combine`).  Tasks work on one chunk's worth of data; the
    work of each reduced chunk's slicing is logarithmic.  The output has the
    chunk length of ``positions`` (when known, else Dask's automatic one).
    """
    import dask.array as da
    from dask.base import tokenize
    from dask.highlevelgraph import HighLevelGraph

    blocks = positions.numblocks[0]
    inputs = [([(positions.name, i)], [(values.name, i)]) for i in range(blocks)]
    if positions.chunks != values.chunks:
        if not any(math.isnan(c) for c in positions.chunks[0] + values.chunks[0]):
            values = values.rechunk(positions.chunks)
            inputs = [([(positions.name, i)], [(values.name, i)]) for i in range(blocks)]
        else:
            # sizes unknown until computed (after a boolean mask) in blocks that do not
            # line up: the blocks are reduced together, in one task
            inputs = [([(positions.name, i) for i in range(blocks)],
                       [(values.name, i) for i in range(values.numblocks[0])])]
    known = [c for c in positions.chunks[0] if not math.isnan(c)]
    if len(known) == blocks:  # the output has the chunk length of the positions
        out_chunks = da.core.normalize_chunks((max([1] + known),), shape=(size,))[0]
    else:
        out_chunks = da.core.normalize_chunks("auto", shape=(size,), dtype=values.dtype)[0]
    token = tokenize(positions, values, size, out_chunks)
    runs, pieces, name = (f"scatter-add-runs-{token}", f"scatter-add-piece-{token}",
                          f"scatter-add-{token}")
    graph: dict = {}
    for i, (p_blocks, v_blocks) in enumerate(inputs):
        graph[(runs, i)] = (_chunk_runs, p_blocks, v_blocks)
    lo = 0
    for j, width in enumerate(out_chunks):
        parts = []
        for i in range(len(inputs)):
            graph[(pieces, i, j)] = (_chunk_piece, (runs, i), lo, lo + width)
            parts.append((pieces, i, j))
        graph[(name, j)] = (_chunk_combine, parts, width, values._meta)
        lo += width
    layers = HighLevelGraph.from_collections(name, graph, dependencies=[positions, values])
    return da.Array(layers, name, chunks=(out_chunks,), dtype=values.dtype,
                    meta=values._meta)


def _chunk_runs(position_blocks, value_blocks):
    """Blocks (one chunk, as a rule) reduced to their sorted distinct positions and the
    sum at each."""
    xp = array_api_compat.array_namespace(*position_blocks, *value_blocks)
    positions, values = position_blocks[0], value_blocks[0]
    if len(position_blocks) > 1 or len(value_blocks) > 1:
        positions, values = xp.concat(position_blocks), xp.concat(value_blocks)
    if positions.shape[0] == 0:
        return positions, values
    ps, vs = _run_sums(xp, positions, values)
    last = xp.concat([ps[1:] != ps[:-1], xp.ones((1,), dtype=xp.bool)])
    return ps[last], vs[last]


def _chunk_piece(runs, lo: int, hi: int):
    """The distinct positions of one reduced chunk in ``[lo, hi)`` (shifted by ``-lo``)."""
    ps, vs = runs
    xp = array_api_compat.array_namespace(ps, vs)
    if ps.shape[0] == 0:
        return ps, vs
    bounds = xp.searchsorted(ps, xp.asarray([lo, hi], dtype=ps.dtype), side="left")
    start, stop = int(bounds[0]), int(bounds[1])
    return ps[start:stop] - lo, vs[start:stop]


def _chunk_combine(parts, width: int, meta):
    """One output chunk: the pieces of every reduced chunk added at their positions."""
    xp = array_api_compat.array_namespace(meta)
    ps = xp.concat([p for p, _ in parts])
    vs = xp.concat([v for _, v in parts])
    return scatter_add(xp, ps, xp.astype(vs, meta.dtype), width)

"""OpInfo records for the linalg extension (see _core.py for the fields).

Spec: https://data-apis.org/array-api/latest/extensions/linear_algebra_functions.html

Samples are matrices where the functions are differentiable: diagonally
dominant (well-conditioned) square matrices for ``inv``/``solve``/``det``,
Hermitian positive-definite ones for ``cholesky`` (built inside ``call`` as
``a a^H + n I``, so that every perturbation of ``a`` stays valid), Hermitian
ones for ``eigh``/``eigvalsh`` (``(a + a^H) / 2``), random (distinct singular
values, full rank) rectangular ones for ``svd``/``qr``/``pinv``, with batches.

Eigenvectors and singular vectors are defined up to a sign (a phase for
complex): ``call`` compares gauge-invariant functions of them on every side
(ours, the backend's and PyTorch's), e.g. ``v * conj(v[..., :1, :])``, which
multiplies each column by the conjugate of its own first entry.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from ._core import OpInfo, Sample, edge_rows, shape_strategy, values  # noqa: F401

# decompositions in float32 lose a few digits to conditioning (eigen/singular gaps)
_LOOSE = {"float64": 1e-8, "float32": 2e-3, "complex128": 1e-8, "complex64": 2e-3}
_FLOATS = ("float64", "float32", "complex128")

# --- helpers applied on every namespace (ours, the backend's, array_api_compat.torch)


def _complex(xp, a) -> bool:
    return xp.isdtype(a.dtype, "complex floating")


def _conj(xp, a):
    return xp.conj(a) if _complex(xp, a) else a


def _mH(xp, a):
    return _conj(xp, xp.matrix_transpose(a))


def _hermitian(xp, a):
    return (a + _mH(xp, a)) / 2


def _positive_definite(xp, a):
    n = a.shape[-1]
    return a @ _mH(xp, a) + n * xp.eye(n, dtype=a.dtype)


def _columns_gauge(xp, v):
    """Invariant under v[:, j] *= e^{i phi_j}: each column times conj(its first entry)."""
    return v * _conj(xp, v[..., :1, :])


def _rows_gauge(xp, vh):
    return vh * _conj(xp, vh[..., :, :1])


# --- samples


def _square(draw, n=None, batch=None, shift=4.0):
    n = draw(st.sampled_from([1, 2, 3])) if n is None else n
    batch = draw(st.sampled_from([(), (2,)])) if batch is None else batch
    return values(draw, batch + (n, n), (-1.0, 1.0)) + shift * np.eye(n)


def _matrix(draw, shapes=((3, 3), (4, 2), (2, 4), (2, 3, 2), (2, 2, 3))):
    return values(draw, draw(st.sampled_from(shapes)), (-1.0, 1.0))


def _square_sample(draw):
    return Sample((_square(draw),))


def _matrix_sample(draw):
    return Sample((_matrix(draw),))


def _solve_sample(draw):
    x1 = _square(draw, n=3, batch=draw(st.sampled_from([(), (2,)])))
    shape = draw(st.sampled_from([(3,), (3, 2), (2, 3, 1), (1, 3, 2)]))
    return Sample((x1, values(draw, shape, (-1.0, 1.0))))


def _matrix_power_sample(draw):
    n = draw(st.sampled_from([0, 1, 2, 3, -1, -2]))
    return Sample((_square(draw, shift=1.5), n))


def _matrix_norm_sample(draw):
    ord_ = draw(st.sampled_from(["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf]))
    kwargs = {"ord": ord_}
    if draw(st.booleans()):
        kwargs["keepdims"] = True
    return Sample((_matrix(draw),), kwargs)


def _matrix_rank_sample(draw):
    a = values(draw, (2, 4, 2), (-1.0, 1.0))
    b = values(draw, (2, 2, 3), (-1.0, 1.0))
    x = draw(st.sampled_from([a @ b, _matrix(draw)]))  # rank 2, or full rank
    kwargs = draw(st.sampled_from([{}, {"rtol": 1e-3}]))
    return Sample((x,), kwargs)


def _pinv_sample(draw):
    kwargs = draw(st.sampled_from([{}, {"rtol": 1e-8}]))
    return Sample((_matrix(draw),), kwargs)


def _qr_sample(draw):
    mode = draw(st.sampled_from(["reduced", "complete"]))
    shapes = ((3, 3), (4, 2), (2, 4), (2, 3, 2), (2, 2, 3))
    if mode == "complete":  # differentiable only when m <= n
        shapes = ((3, 3), (2, 4), (2, 2, 3))
    return Sample((_matrix(draw, shapes),), {"mode": mode})


def _svd_sample(draw):
    return Sample((_matrix(draw),), {"full_matrices": draw(st.booleans())})


def _cross_sample(draw):
    s1, s2, axis = draw(st.sampled_from([((3,), (3,), -1), ((2, 3), (2, 3), -1),
                                         ((4, 1, 3), (2, 3), -1), ((3, 2), (3, 1), -2)]))
    return Sample((values(draw, s1), values(draw, s2)), {"axis": axis})


def _outer_sample(draw):
    n1, n2 = draw(st.sampled_from([(3, 4), (1, 2), (0, 3)]))
    return Sample((values(draw, (n1,)), values(draw, (n2,))))


def _diagonal_sample(draw):
    shape = draw(st.sampled_from([(3, 4), (2, 4, 3), (3, 3), (2, 0, 2)]))
    offset = draw(st.sampled_from([0, 1, -1, 2]))
    return Sample((values(draw, shape),), {"offset": offset})


def _vector_norm_sample(draw):
    shape = draw(st.sampled_from([(5,), (2, 3), (2, 3, 4), ()]))
    x = values(draw, shape)
    options = [{}]
    if len(shape) >= 1:
        options += [{"axis": -1}, {"axis": 0, "keepdims": True}]
    if len(shape) >= 2:
        options += [{"axis": (0, -1)}]
    kwargs = dict(draw(st.sampled_from(options)))
    kwargs["ord"] = draw(st.sampled_from([2, 1, math.inf, -math.inf, 3, 0.5]))
    return Sample((x,), kwargs)


# --- special values: singular and rank-deficient matrices, repeated eigenvalues


_SINGULAR_3 = np.stack([np.arange(1.0, 10.0).reshape(3, 3),   # rank 2
                        np.ones((3, 3)),                       # rank 1 (<= n - 2)
                        np.zeros((3, 3))])
_SINGULAR_2 = np.stack([np.asarray([[1.0, 2.0], [2.0, 4.0]]), np.zeros((2, 2)),
                        np.asarray([[0.0, 1.0], [0.0, 0.0]])])


def _singular_edges():
    """Exactly singular square matrices: rank n - 1, rank <= n - 2, the 1 x 1 zero."""
    return [Sample((np.zeros((1, 1)),), label="1x1 zero"),
            Sample((_SINGULAR_2,), label="singular 2x2", cotangents=("mixed",)),
            Sample((_SINGULAR_3,), label="singular 3x3")]


def _solve_edges():
    return [Sample((_SINGULAR_2, np.ones((3, 2, 1))), label="singular 2x2")]


def _repeated_eigenvalue_edges():
    """Diagonal (so that every backend returns the same eigenvectors) with a repeated
    eigenvalue, and the identity."""
    return [Sample((np.diag([1.0, 1.0, 3.0]),), label="repeated eigenvalue"),
            Sample((np.eye(2),), label="identity")]


def _eig_edges():
    return _repeated_eigenvalue_edges() + [
        Sample((np.asarray([[1.0, 1.0], [0.0, 1.0]]),), label="defective (Jordan block)")]


def _rank_deficient_edges():
    """Rank-deficient and zero matrices, repeated singular values (the identity)."""
    return [Sample((np.asarray([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]]),), label="rank 1"),
            Sample((np.zeros((2, 3)),), label="zero"),
            Sample((np.eye(2),), label="identity")]


def _svd_edges():
    return [Sample(s.args, {"full_matrices": False}, label=s.label)
            for s in _rank_deficient_edges()]


def _qr_edges():
    return [Sample((np.asarray([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]]),), {"mode": "reduced"},
                   label="rank 1"),
            Sample((np.asarray([[1.0, 0.0], [0.0, 0.0], [0.0, 0.0]]),), {"mode": "reduced"},
                   label="zero column")]


def _vector_norm_edges():
    """Rows of zeros, ties, infinities and NaN (``_core.EDGE_ROWS``) for every order."""
    return [Sample((edge_rows(),), {"axis": -1, "ord": order}, label=f"rows, ord={order}",
                   cotangents=("copies",))
            for order in (2, 1, math.inf, -math.inf, 0.5, 3, 0)]


def _matrix_norm_edges():
    """The zero matrix, a rank-deficient one, ties of column and row sums, the identity."""
    x = np.stack([np.zeros((2, 2)), np.asarray([[1.0, 2.0], [2.0, 4.0]]),
                  np.asarray([[1.0, -1.0], [1.0, 1.0]]), np.eye(2)])
    return [Sample((x,), {"ord": order}, label=f"ord={order}", cotangents=("mixed",))
            for order in ("fro", "nuc", 2, -2, 1, math.inf)]


def _diagonal_edges():
    """A NaN and an infinite cotangent on the diagonal: the rest of the gradient is an
    exact 0 (PyTorch writes the diagonal into zeros)."""
    x = np.arange(12.0).reshape(3, 4)
    return [Sample((x,), {"offset": offset}, label=f"offset={offset}", cotangents=("mixed",))
            for offset in (0, 1, -1)]


def _trace_edges():
    x = np.arange(24.0).reshape(4, 2, 3)
    return [Sample((x,), {"offset": offset}, label=f"offset={offset}", cotangents=("mixed",))
            for offset in (0, 1)]


def _matrix_rank_edges():
    return [Sample((_SINGULAR_3,), label="singular 3x3"),
            Sample((np.asarray([[1.0, 2.0], [2.0, 4.0], [0.0, 0.0]]),), label="rank 1")]


# --- calls with gauge-invariant outputs


def _cholesky(xp, x, **kwargs):
    return xp.linalg.cholesky(_positive_definite(xp, x), **kwargs)


def _eigh(xp, x):
    w, v = xp.linalg.eigh(_hermitian(xp, x))
    return w, _columns_gauge(xp, v)


def _eigvalsh(xp, x):
    return xp.linalg.eigvalsh(_hermitian(xp, x))


def _eig(xp, x):
    w, v = xp.linalg.eig(x)
    return w, _columns_gauge(xp, v)


def _qr(xp, x, **kwargs):
    # Q[:, j] and R[j, :] share a sign (phase): compare Q[:, j] conj(Q[0, j]) and
    # R[j, :] conj(R[j, j])
    q, r = xp.linalg.qr(x, **kwargs)
    d = xp.linalg.diagonal(r)
    return _columns_gauge(xp, q), r * xp.expand_dims(_conj(xp, d), axis=-1)


def _svd(xp, x, **kwargs):
    # only the first k = min(m, n) singular vectors are determined by x
    u, s, vh = xp.linalg.svd(x, **kwargs)
    k = s.shape[-1]
    return _columns_gauge(xp, u[..., :, :k]), s, _rows_gauge(xp, vh[..., :k, :])


OPINFOS: tuple[OpInfo, ...] = (
    OpInfo("linalg.cholesky", family="custom", call=_cholesky, dtypes=_FLOATS, rtol=_LOOSE,
           sample=lambda draw: Sample((_square(draw, shift=0.0),),
                                      draw(st.sampled_from([{}, {"upper": True}])))),
    OpInfo("linalg.cross", family="custom", sample=_cross_sample, dtypes=_FLOATS),
    OpInfo("linalg.det", family="custom", sample=_square_sample, dtypes=_FLOATS, rtol=_LOOSE,
           edges=_singular_edges),
    OpInfo("linalg.diagonal", family="custom", sample=_diagonal_sample, dtypes=_FLOATS,
           edges=_diagonal_edges),
    OpInfo("linalg.eig", family="custom", call=_eig, sample=_square_sample,
           dtypes=("float64", "complex128"), rtol=_LOOSE, edges=_eig_edges),
    OpInfo("linalg.eigh", family="custom", call=_eigh, sample=_square_sample, dtypes=_FLOATS,
           rtol=_LOOSE, edges=_repeated_eigenvalue_edges),
    OpInfo("linalg.eigvals", family="custom", sample=_square_sample,
           dtypes=("float64", "complex128"), rtol=_LOOSE, edges=_eig_edges),
    OpInfo("linalg.eigvalsh", family="custom", call=_eigvalsh, sample=_square_sample,
           dtypes=_FLOATS, rtol=_LOOSE, edges=_repeated_eigenvalue_edges),
    OpInfo("linalg.inv", family="custom", sample=_square_sample, dtypes=_FLOATS, rtol=_LOOSE,
           edges=_singular_edges),
    OpInfo("linalg.matrix_norm", family="custom", sample=_matrix_norm_sample, dtypes=_FLOATS,
           rtol=_LOOSE, edges=_matrix_norm_edges),
    OpInfo("linalg.matrix_power", family="custom", sample=_matrix_power_sample,
           dtypes=_FLOATS, rtol=_LOOSE),
    OpInfo("linalg.matrix_rank", family="custom", sample=_matrix_rank_sample,
           differentiable=False, dtypes=("float64",), edges=_matrix_rank_edges),
    OpInfo("linalg.outer", family="custom", sample=_outer_sample, dtypes=_FLOATS),
    OpInfo("linalg.pinv", family="custom", sample=_pinv_sample, dtypes=_FLOATS, rtol=_LOOSE,
           edges=_rank_deficient_edges),
    OpInfo("linalg.qr", family="custom", call=_qr, sample=_qr_sample, dtypes=_FLOATS,
           rtol=_LOOSE, edges=_qr_edges),
    OpInfo("linalg.slogdet", family="custom", sample=_square_sample, dtypes=_FLOATS,
           rtol=_LOOSE, edges=_singular_edges),
    OpInfo("linalg.solve", family="custom", sample=_solve_sample, dtypes=_FLOATS, rtol=_LOOSE,
           edges=_solve_edges),
    OpInfo("linalg.svd", family="custom", call=_svd, sample=_svd_sample, dtypes=_FLOATS,
           rtol=_LOOSE, edges=_svd_edges),
    OpInfo("linalg.svdvals", family="custom", sample=_matrix_sample, dtypes=_FLOATS,
           rtol=_LOOSE, edges=_rank_deficient_edges),
    OpInfo("linalg.trace", family="custom", sample=_diagonal_sample, dtypes=_FLOATS,
           edges=_trace_edges),
    OpInfo("linalg.vector_norm", family="custom", sample=_vector_norm_sample,
           dtypes=_FLOATS, rtol=_LOOSE, edges=_vector_norm_edges),
)

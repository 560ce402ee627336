"""The ``linalg`` extension, each function with its derivative.

Spec section: "Linear Algebra Extension",
https://data-apis.org/array-api/latest/extensions/linear_algebra_functions.html

Formulas follow PyTorch's ``derivatives.yaml`` and ``FunctionsManual.cpp``
(``norm_backward``, ``linalg_det_backward``, ``slogdet_backward``,
``cholesky_backward``/``cholesky_jvp``, ``linalg_eig_backward``/``linalg_eig_jvp``,
``svd_backward``/``linalg_svd_jvp``, ``linalg_qr_backward``/``linalg_qr_jvp``,
``pinv_backward``/``pinv_jvp``); the matrix-function rules are those of
M. Giles, "An extended collection of matrix derivative results for forward and
reverse mode algorithmic differentiation" (2008),
https://people.maths.ox.ac.uk/gilesm/files/NA-08-01.pdf.

Conventions (PyTorch's):

* complex inputs: the VJP is ``J^H ct``, the JVP ``J t``;
* decompositions assume what makes them differentiable: distinct eigenvalues
  (``eigh``, ``eig``), distinct non-zero singular values (``svd``), full rank
  (``qr``, ``pinv``), invertible matrices (``slogdet``, ``inv``, ``solve``);
  elsewhere the results are inf or nan, as in PyTorch (``slogdet``'s gradient at a
  singular matrix is +-inf, NaN where a cofactor is zero, without raising);
* beyond PyTorch: ``det`` is differentiable at every square matrix, singular or
  not: its gradient is the cofactor matrix ``adj(A)^T``, computed through an SVD
  (exact to rounding near and at singularity, to second order), where PyTorch
  gives zeros at exactly singular inputs of rank n - 1;
* ``inv`` and ``solve`` of a singular matrix raise the backend's error class with
  a message that says so (``_errors.singular_matrix``);
* eigenvectors and singular vectors are defined up to sign (a phase for
  complex): only losses invariant to that choice have a meaningful gradient;
* ``matrix_rank`` is integer-valued and never recorded; ``qr`` with
  ``mode="complete"`` is differentiable only when ``m <= n``;
* ties in ``matrix_norm`` (``ord`` = ``1``, ``inf``, ``2`` and their negatives)
  split the cotangent evenly, as ``amax`` does.

Every rule computes with the differentiable namespace ``ns`` (``ns.linalg.solve``,
``ns.matmul``...), so derivatives of any order are available.
"""

from __future__ import annotations

import array_api_compat

import math

from .. import _errors
from .. import _batching
from .._op import Op, bilinear, conj, linear, nondifferentiable
from ._helpers import backend_array, detached, reduced, sgn
from ._results import (EighResult, EigResult, QRResult, SlogdetResult, SVDResult, named,
                       singular_message)

# ---------------------------------------------------------------------------
# helpers (all with ns)
# ---------------------------------------------------------------------------


def _mH(ns, a):
    """Conjugate transpose of the last two axes."""
    return ns.matrix_transpose(conj(ns, a))


def _eye(ns, n, m=None, like=None, k=0, dtype=None):
    """``eye(n, m, k=k)`` in ``like``'s dtype (or ``dtype``) and device.

    Rectangular masks are built from ``arange`` comparisons rather than with
    ``eye(n, m)``: Dask 2026.8's ``eye`` with ``m != n`` builds a broken graph
    (a missing ``('eye-...', 0, 1)`` dependency at compute).
    """
    dtype = dtype if dtype is not None else like.dtype
    if m is None or m == n:
        return ns.eye(n, n, k=k, dtype=dtype, device=like.device)
    rows = ns.arange(n, device=like.device)
    cols = ns.arange(m, device=like.device)
    return ns.astype(ns.expand_dims(rows, axis=-1) + k == cols, dtype)


def _eye_mask(ns, n, m=None, like=None, k=0):
    """``eye(n, m, k=k)`` as booleans on ``like``'s device, for ``where``: the entries
    off the diagonal are then exact zeros (PyTorch writes diagonals into zeros), where
    a product with ``eye`` would turn a NaN or infinity into NaN along its row."""
    rows = ns.arange(n, device=like.device)
    cols = ns.arange(n if m is None else m, device=like.device)
    return ns.expand_dims(rows, axis=-1) + k == cols


def _zero_pad(ns, a, axis: int, length: int):
    """``a`` followed by zeros along ``axis`` up to ``length`` (the adjoint of cropping).

    A ``concat`` with zeros: no ``O(n * length)`` product with a rectangular ``eye``.
    """
    ax = axis % a.ndim
    extra = length - a.shape[ax]
    if extra <= 0:
        return a
    shape = tuple(extra if i == ax else n for i, n in enumerate(a.shape))
    zeros = ns.zeros(shape, dtype=a.dtype, device=a.device)
    return ns.concat([a, zeros], axis=ax)


def _diag(ns, a):
    """Main diagonal of the last two axes."""
    return ns._function("linalg.diagonal")(a)


def _diag_embed(ns, v):
    """Diagonal matrices with the vectors ``v`` (..., n) on their diagonal (exact zeros
    elsewhere)."""
    n = v.shape[-1]
    spread = ns.expand_dims(v, axis=-2)
    return ns.where(_eye_mask(ns, n, like=v), spread, ns.zeros_like(spread))


def _off_diag(ns, a):
    """``a`` with its diagonal set to (exact) zero."""
    n = a.shape[-1]
    return ns.where(_eye_mask(ns, n, like=a), ns.zeros_like(a), a)


def _real_dtype(ns, dtype):
    if ns._is_complex_dtype(dtype):
        return ns.float64 if dtype == ns.complex128 else ns.float32
    return dtype


def _complex_dtype(ns, dtype):
    if ns._is_complex_dtype(dtype):
        return dtype
    return ns.complex128 if dtype == ns.float64 else ns.complex64


def _to_complex(ns, a):
    if ns._is_complex_dtype(a.dtype):
        return a
    return ns.astype(a, _complex_dtype(ns, a.dtype))


def _solve_right(ns, b, a):
    """``b @ inv(a)``, as ``(a^H \\ b^H)^H``."""
    return _mH(ns, ns.linalg.solve(_mH(ns, a), _mH(ns, b)))


def _solve_right_triangular(ns, b, a, upper: bool):
    """``b @ inv(a)`` for a triangular ``a`` (``upper``: upper-triangular).

    A general solve where ``a`` is invertible.  Where its diagonal has an exact zero
    (an exactly rank-deficient ``qr`` input), which the backends' general solvers
    refuse, by substitution row by row of ``a^H y = b^H``: the divisions by zero give
    infinities and NaN, as PyTorch's triangular solve does, instead of an error.  On
    a lazy backend (Dask), whose values are unknown, small matrices (n <= 32, as a
    tall-and-skinny QR has) are always substituted, larger ones always solved.
    """
    diagonal = _diag(ns, a)
    if array_api_compat.is_lazy_array(backend_array(diagonal)):
        if a.shape[-1] > 32:
            return _solve_right(ns, b, a)
    elif not bool(ns.any(diagonal == 0)):
        return _solve_right(ns, b, a)
    # a^H is lower-triangular when a is upper: forward substitution (else backward)
    ah, bh = _mH(ns, a), _mH(ns, b)
    n = a.shape[-1]
    order = range(n) if upper else reversed(range(n))
    rows: dict[int, object] = {}
    for i in order:
        acc = bh[..., i, :]
        done = sorted(rows)
        if done:
            known = ns.stack([rows[j] for j in done], axis=-2)
            coefficients = ns.stack([ah[..., i, j] for j in done], axis=-1)
            acc = acc - ns.squeeze(ns.expand_dims(coefficients, axis=-2) @ known, axis=-2)
        rows[i] = acc / ah[..., i, i:i + 1]
    return _mH(ns, ns.stack([rows[i] for i in range(n)], axis=-2))


def _inv_E(ns, values):
    """``E_ij = values_j - values_i`` with ones on the diagonal (PyTorch's ``E``)."""
    e = ns.expand_dims(values, axis=-2) - ns.expand_dims(values, axis=-1)
    n = values.shape[-1]
    return e + _eye(ns, n, like=e)


def _fill_diagonal(ns, a, v):
    """``a`` with its diagonal replaced by ``v``."""
    return _off_diag(ns, a) + _diag_embed(ns, v)


def _imag_i(ns, a):
    """``i * imag(a)`` for a complex ``a`` (zero for real)."""
    return (a - conj(ns, a)) * 0.5


# ---------------------------------------------------------------------------
# inv, det, slogdet, solve
# ---------------------------------------------------------------------------


def _inv_vjp(ns, ct, x, out):
    # d inv(A) = -inv(A) dA inv(A)  =>  gA = -inv(A)^H G inv(A)^H  (Giles 2.2.3)
    out_h = _mH(ns, out)
    return -(out_h @ ct @ out_h)


def _inv_jvp(ns, t, x, out):
    return -(out @ t @ out)


def _expand2(ns, a):
    """``a`` (one value per matrix) with two unit axes, to scale matrices."""
    return ns.expand_dims(ns.expand_dims(a, axis=-1), axis=-1)


# --- the cofactor matrix, the derivative of det --------------------------------------
#
# det is differentiable everywhere: d det(A) = sum(C(A) * dA), with C(A) = adj(A)^T the
# matrix of cofactors, a polynomial in A.  det(A) A^{-T} (PyTorch's formula) is C(A)
# only where A is invertible: at exactly singular matrices PyTorch gives zeros (wrong
# at rank n-1, whose cofactors are not all zero), and near them det and A^{-1} lose
# the digits that cancel.  Through an SVD A = U S Vh, C(A) = c conj(U diag(p) Vh), with
# p_i = prod_{k != i} s_k (division-free) and c = det(U) det(Vh) (a sign for real
# matrices, a phase for complex ones): exact to rounding for every square matrix,
# singular or not.  Its own derivative (det's second derivative) is, with
# E = U^H dA V:  dC = c conj(U) L(E) V^T,  L(E) = diag(Q diag(E)) - Q * E^T, where
# Q_ij = prod_{k != i, j} s_k off the diagonal (0 on it); L is self-adjoint, so the
# VJP is gA = U L(conj(c) U^T G conj(V)) Vh.  Both hold for any SVD of A (repeated
# singular values included): C is a polynomial, the SVD only a frame to write it in.
# Third and higher derivatives go through the SVD's own derivative (distinct
# singular values).


def _exclusive_products(xp, s):
    """``prod_{k < i} s_k`` and ``prod_{k > i} s_k`` along the last axis (no division)."""
    n = s.shape[-1]
    before = xp.cumulative_prod(s, axis=-1, include_initial=True)[..., :n]
    after = xp.flip(xp.cumulative_prod(xp.flip(s, axis=-1), axis=-1,
                                       include_initial=True)[..., :n], axis=-1)
    return before, after


def _products_but_one(xp, s):
    """``p_i = prod_{k != i} s_k`` along the last axis, without division."""
    before, after = _exclusive_products(xp, s)
    return before * after


def _products_but_two(xp, s):
    """``Q_ij = prod_{k != i, j} s_k`` for ``i != j``, 0 on the diagonal: (..., n, n).

    ``prod_{k < i} s_k * prod_{i < k < j} s_k * prod_{k > j} s_k`` for ``i < j``,
    the middle factor an exclusive cumulative product of ``s_k`` masked to
    ``k > i``: O(n^2) memory, no division (exact at zero singular values).
    """
    n = s.shape[-1]
    before, after = _exclusive_products(xp, s)
    k = xp.arange(n, device=s.device)
    later = xp.expand_dims(k, axis=-1) < k  # [i, k]: k > i
    masked = xp.where(later, xp.expand_dims(s, axis=-2),
                      xp.ones((n, n), dtype=s.dtype, device=s.device))
    between = xp.cumulative_prod(masked, axis=-1, include_initial=True)[..., :n]
    upper = xp.expand_dims(before, axis=-1) * between * xp.expand_dims(after, axis=-2)
    upper = xp.where(later, upper, xp.zeros_like(upper))
    return upper + xp.matrix_transpose(upper)


def _unit(xp, c):
    """``c`` (det(U) det(Vh) of unitary factors) rounded to modulus one."""
    if xp.isdtype(c.dtype, "complex floating"):
        return c / xp.abs(c)
    return xp.sign(c)


def _cofactor_forward(xp, x, /):
    u, s, vh = xp.linalg.svd(x, full_matrices=False)
    c = _unit(xp, xp.linalg.det(u) * xp.linalg.det(vh))
    m = (u * xp.expand_dims(_products_but_one(xp, s), axis=-2)) @ vh
    if xp.isdtype(m.dtype, "complex floating"):
        m = xp.conj(m)
    return xp.expand_dims(xp.expand_dims(c, axis=-1), axis=-1) * m


def _svd_frame(ns, x):
    u, s, vh = ns.linalg.svd(x, full_matrices=False)
    return u, s, vh, _unit(ns, ns.linalg.det(u) * ns.linalg.det(vh))


def _cofactor_core(ns, s, e):
    """``L(E) = diag(Q diag(E)) - Q * E^T`` (the derivative of the cofactors at ``diag(s)``)."""
    q = _products_but_two(ns, s)
    diagonal = ns.sum(q * ns.expand_dims(_diag(ns, e), axis=-2), axis=-1)
    return _diag_embed(ns, diagonal) - q * ns.matrix_transpose(e)


def _cofactor_vjp(ns, ct, x, out):
    u, s, vh, c = _svd_frame(ns, x)
    h = _expand2(ns, conj(ns, c)) * (ns.matrix_transpose(u) @ ct @ ns.matrix_transpose(vh))
    return u @ _cofactor_core(ns, s, h) @ vh


def _cofactor_jvp(ns, t, x, out):
    u, s, vh, c = _svd_frame(ns, x)
    e = _mH(ns, u) @ t @ _mH(ns, vh)
    return _expand2(ns, c) * (conj(ns, u) @ _cofactor_core(ns, s, e) @ conj(ns, vh))


def _cofactor(ns, x):
    """``adj(x)^T``, differentiable (the private op ``linalg._cofactor``)."""
    return ns._function("linalg._cofactor")(x)


def _det_vjp(ns, ct, x, out):
    # d det(A) = sum(C(A) * dA)  =>  gA = ct conj(C(A)), at every square matrix
    # (PyTorch's conj(det) ct A^{-H} where A is invertible)
    return _expand2(ns, ct) * conj(ns, _cofactor(ns, x))


def _det_jvp(ns, t, x, out):
    return ns.sum(_cofactor(ns, x) * t, axis=(-2, -1))


def _inverse_transpose(ns, x, logabsdet):
    """``A^{-T}``, as ``C(A / t) / (det(A / t) t)`` with ``t = exp(logabsdet / n)``.

    Any constant ``t`` gives ``C(A) / det(A)``; this one keeps ``det(A / t)``
    near one, so a determinant beyond the floating-point range (large
    matrices, the reason for slogdet) neither overflows nor underflows.  At a
    singular matrix (``logabsdet = -inf``, ``t = 1``) it is ``C(A) / 0``:
    +-inf where the cofactor is not zero, NaN where it is, without raising.
    """
    n = x.shape[-1]
    t = ns.exp(detached(logabsdet) / n)
    t = ns.where(ns.isfinite(t) & (t > 0), t, ns.ones_like(t))
    t = _expand2(ns, t)
    scaled = x / t
    return _cofactor(ns, scaled) / (_expand2(ns, ns.linalg.det(scaled)) * t)


def _slogdet_vjp(ns, ct, x, out):
    # PyTorch's slogdet_backward: gA = (g_abs - i Im(conj(g_sign) sign)) A^{-H};
    # the sign of a real determinant is locally constant.
    ct_sign, ct_abs = ct
    sign, logabsdet = out
    g = ct_abs
    if ns._is_complex_dtype(x.dtype):
        g = _to_complex(ns, g) - _imag_i(ns, conj(ns, ct_sign) * sign)
    return _expand2(ns, g) * conj(ns, _inverse_transpose(ns, x, logabsdet))


def _slogdet_jvp(ns, t, x, out):
    # PyTorch's slogdet_jvp: d logabsdet = Re tr(A^{-1} dA), d sign = i Im(tr(A^{-1} dA)) sign
    sign, logabsdet = out
    z = ns.sum(_inverse_transpose(ns, x, logabsdet) * t, axis=(-2, -1))
    if ns._is_complex_dtype(x.dtype):
        return _imag_i(ns, z) * sign, ns.real(z)
    return ns.zeros_like(sign), z


def _solve_vector(x1, x2) -> bool:
    # The standard: x2 is a vector exactly when it is 1-D.
    return x2.ndim == 1


def _solve_vjp(ns, ct, x1, x2, out, needed):
    # X = A^{-1} B: gB = A^{-H} G, gA = -gB X^H (Giles 2.3.1; PyTorch's linalg_solve_backward)
    vector = _solve_vector(x1, x2)
    g = ns.expand_dims(ct, axis=-1) if vector else ct
    g_b = ns.linalg.solve(_mH(ns, x1), g)
    g_a = None
    if needed[0]:
        x = ns.expand_dims(out, axis=-1) if vector else out
        g_a = -(g_b @ _mH(ns, x))
    if vector:
        g_b = g_b[..., 0]
    return g_a, g_b if needed[1] else None


def _solve_jvp(ns, tangents, x1, x2, out):
    # dX = A^{-1} (dB - dA X)
    t1, t2 = tangents
    vector = _solve_vector(x1, x2)
    x = ns.expand_dims(out, axis=-1) if vector else out
    rhs = None
    if t2 is not None:
        rhs = ns.expand_dims(t2, axis=-1) if vector else t2
    if t1 is not None:
        term = t1 @ x
        rhs = -term if rhs is None else rhs - term
    result = ns.linalg.solve(x1, rhs)
    return result[..., 0] if vector else result


# ---------------------------------------------------------------------------
# cholesky
# ---------------------------------------------------------------------------


def _cholesky_vjp(ns, ct, x, out, upper):
    # PyTorch's cholesky_backward: gA = L^{-H} phi*(tril(L^H gL)) L^{-1},
    # phi*(X) = 0.5 (X + tril(X, -1)^H)
    low = _mH(ns, out) if upper else out
    g_low = _mH(ns, ct) if upper else ct
    g = ns.tril(_mH(ns, low) @ g_low)
    g = 0.5 * (g + _mH(ns, ns.tril(g, k=-1)))
    g = ns.linalg.solve(_mH(ns, low), g)
    return _solve_right(ns, g, low)


def _cholesky_jvp(ns, t, x, out, upper):
    # PyTorch's cholesky_jvp: dL = L pi(L^{-1} dA L^{-H}), pi(X) = tril(X) - diag(X) / 2
    low = _mH(ns, out) if upper else out
    s = ns.linalg.solve(low, t)
    s = _solve_right(ns, s, _mH(ns, low))
    s = ns.tril(s) - 0.5 * _diag_embed(ns, _diag(ns, s))
    d = low @ s
    return _mH(ns, d) if upper else d


# ---------------------------------------------------------------------------
# eigh, eigvalsh, eig, eigvals
# ---------------------------------------------------------------------------


def _eigh_backward(ns, g_values, g_vectors, values, vectors):
    # PyTorch's linalg_eig_backward, Hermitian case (arXiv:1701.00392, eq. 4.77):
    # gA = V (diag(gL) + skew(V^H gV) / 2 / E) V^H, E_ij = L_j - L_i
    vh = _mH(ns, vectors)
    if g_vectors is None:
        return (vectors * ns.expand_dims(g_values, axis=-2)) @ vh
    vhgv = vh @ g_vectors
    vhgv = 0.5 * (vhgv - _mH(ns, vhgv))
    inner = _fill_diagonal(ns, vhgv / _inv_E(ns, values), g_values)
    return vectors @ (inner @ vh)


def _eigh_vjp(ns, ct, x, out):
    # None for an unused output (sparse_cotangents): with the eigenvectors unused, the
    # 1/(L_j - L_i) term is skipped, so repeated eigenvalues give a finite gradient
    g_values, g_vectors = ct
    values, vectors = out
    if g_values is None:
        g_values = ns.zeros_like(values)
    return _eigh_backward(ns, g_values, g_vectors, values, vectors)


def _eigh_jvp(ns, t, x, out):
    # PyTorch's linalg_eig_jvp (Hermitian): dP = V^H dA V, dL = Re diag(dP),
    # dV = V (dP / E with a zero diagonal)
    values, vectors = out
    dp = _mH(ns, vectors) @ t @ vectors
    d_values = _diag(ns, dp)
    if ns._is_complex_dtype(d_values.dtype):
        d_values = ns.real(d_values)
    d_vectors = vectors @ _off_diag(ns, dp / _inv_E(ns, values))
    return d_values, d_vectors


def _eigvalsh_vjp(ns, ct, x, out):
    _, vectors = ns.linalg.eigh(x)
    return _eigh_backward(ns, ct, None, out, vectors)


def _eigvalsh_jvp(ns, t, x, out):
    _, vectors = ns.linalg.eigh(x)
    d = _diag(ns, _mH(ns, vectors) @ t @ vectors)
    return ns.real(d) if ns._is_complex_dtype(d.dtype) else d


def _eig_backward(ns, g_values, g_vectors, values, vectors):
    # PyTorch's linalg_eig_backward, general case (arXiv:1701.00392, eq. 4.77):
    # gA = V^{-H} (diag(gL) + (V^H gV - V^H V diag(Re(V^H gV))) / conj(E)) V^H
    vh = _mH(ns, vectors)
    if g_vectors is None:
        return ns.linalg.solve(vh, ns.expand_dims(g_values, axis=-1) * vh)
    vhgv = vh @ g_vectors
    diag_re = ns.real(_diag(ns, vhgv))
    vhgv = vhgv - vh @ (vectors * ns.expand_dims(_to_complex(ns, diag_re), axis=-2))
    inner = _fill_diagonal(ns, vhgv / _inv_E(ns, conj(ns, values)), g_values)
    return ns.linalg.solve(vh, inner @ vh)


def _eig_vjp(ns, ct, x, out):
    g_values, g_vectors = ct
    values, vectors = out
    if g_values is None:
        g_values = ns.zeros_like(values)
    return _eig_backward(ns, g_values, g_vectors, values, vectors)


def _eig_jvp(ns, t, x, out):
    # PyTorch's linalg_eig_jvp: dP = V^{-1} dA V, dL = diag(dP),
    # dV = dX - V Re(diag(V^H dX)), dX = V (dP / E with a zero diagonal)
    values, vectors = out
    dp = ns.linalg.solve(vectors, _to_complex(ns, t) @ vectors)
    d_values = _diag(ns, dp)
    dx = vectors @ _off_diag(ns, dp / _inv_E(ns, values))
    correction = ns.real(_diag(ns, _mH(ns, vectors) @ dx))
    d_vectors = dx - vectors * ns.expand_dims(_to_complex(ns, correction), axis=-2)
    return d_values, d_vectors


def _eigvals_vjp(ns, ct, x, out):
    values, vectors = ns.linalg.eig(x)
    return _eig_backward(ns, ct, None, values, vectors)


def _eigvals_jvp(ns, t, x, out):
    _, vectors = ns.linalg.eig(x)
    return _diag(ns, ns.linalg.solve(vectors, _to_complex(ns, t) @ vectors))


# ---------------------------------------------------------------------------
# svd, svdvals
# ---------------------------------------------------------------------------


def _svd_backward(ns, g_u, g_s, g_vh, u, s, vh):
    """PyTorch's svd_backward on the reduced factors (k = min(m, n) columns)."""
    m, n = u.shape[-2], vh.shape[-1]
    if g_u is None and g_vh is None:
        return (u * ns.expand_dims(g_s, axis=-2)) @ vh
    is_complex = ns._is_complex_dtype(u.dtype)
    skew = lambda a: a - _mH(ns, a)  # noqa: E731
    uhgu = skew(_mH(ns, u) @ g_u)
    vhgv = skew(vh @ _mH(ns, g_vh))
    s2 = s * s
    e = _inv_E(ns, s2)  # E_jk = S_k^2 - S_j^2, ones on the diagonal
    s_row = ns.expand_dims(s, axis=-2)
    s_col = ns.expand_dims(s, axis=-1)
    inner = (uhgu * s_row + s_col * vhgv) / e
    inner = inner + _diag_embed(ns, g_s)
    if is_complex:
        inner = inner + _diag_embed(ns, _diag(ns, uhgu) / (2 * s))
    if m > n:
        # gA = [U inner + (I - U U^H) gU S^{-1}] V^H
        g = u @ inner
        gus = g_u / s_row
        g = g + gus - u @ (_mH(ns, u) @ gus)
        return g @ vh
    if m < n:
        # gA = U [inner V^H + S^{-1} gV^H (I - V V^H)]
        g = inner @ vh
        sgvh = g_vh / s_col
        g = g + sgvh - (sgvh @ _mH(ns, vh)) @ vh
        return u @ g
    return u @ (inner @ vh)


def _svd_vjp(ns, ct, x, out, full_matrices):
    # None for an unused output (sparse_cotangents): with U and Vh both unused, only the
    # singular-value term remains, finite at repeated singular values (PyTorch)
    g_u, g_s, g_vh = ct
    u, s, vh = out
    if g_s is None:
        g_s = ns.zeros_like(s)
    if (g_u is None) != (g_vh is None):
        g_u = ns.zeros_like(u) if g_u is None else g_u
        g_vh = ns.zeros_like(vh) if g_vh is None else g_vh
    k = s.shape[-1]
    if full_matrices:
        # only the first k singular vectors are determined by x (PyTorch narrows too)
        u, vh = u[..., :, :k], vh[..., :k, :]
        if g_u is not None:
            g_u, g_vh = g_u[..., :, :k], g_vh[..., :k, :]
    return _svd_backward(ns, g_u, g_s, g_vh, u, s, vh)


def _svd_jvp(ns, t, x, out, full_matrices):
    # PyTorch's linalg_svd_jvp: dP = U^H dA V, dS = Re diag(dP), dX = dP - diag(dS),
    # dU = U (sym(dX S) / E + i Im diag(dX) / 2S) [+ (I - U U^H) dA V S^{-1} if m > n],
    # dVh = (-sym(S dX) / E + i Im diag(dX) / 2S) Vh [+ S^{-1} U^H dA (I - V V^H) if m < n]
    u_full, s, vh_full = out
    m, n = t.shape[-2], t.shape[-1]
    k = s.shape[-1]
    u = u_full[..., :, :k] if full_matrices else u_full
    vh = vh_full[..., :k, :] if full_matrices else vh_full
    v = _mH(ns, vh)
    is_complex = ns._is_complex_dtype(t.dtype)
    dp = _mH(ns, u) @ (t @ v)
    ds = _diag(ns, dp)
    if is_complex:
        ds = ns.real(ds)
    dp = dp - _diag_embed(ns, ds)
    e = _inv_E(ns, s * s)
    sym = lambda a: a + _mH(ns, a)  # noqa: E731
    s_row = ns.expand_dims(s, axis=-2)
    s_col = ns.expand_dims(s, axis=-1)
    du_inner = sym(dp * s_row) / e
    dvh_inner = sym(dp * (-s_col)) / e
    if is_complex:
        extra = _diag_embed(ns, _diag(ns, dp) / (2 * s))
        du_inner = du_inner + extra
        dvh_inner = dvh_inner + extra
    du = u @ du_inner
    dvh = dvh_inner @ vh
    if m > n:
        dav = t @ (v / s_row)
        du = du + dav - u @ (_mH(ns, u) @ dav)
        if full_matrices:
            du = _zero_pad(ns, du, -1, m)  # zero tangent for the extra columns
    if m < n:
        uda = (_mH(ns, u) / s_col) @ t
        dvh = dvh + uda - (uda @ v) @ vh
        if full_matrices:
            dvh = _zero_pad(ns, dvh, -2, n)  # zero tangent for the extra rows
    return du, ds, dvh


def _svdvals_vjp(ns, ct, x, out):
    u, _, vh = ns.linalg.svd(x, full_matrices=False)
    return _svd_backward(ns, None, ct, None, u, out, vh)


def _svdvals_jvp(ns, t, x, out):
    u, _, vh = ns.linalg.svd(x, full_matrices=False)
    d = _diag(ns, _mH(ns, u) @ t @ _mH(ns, vh))
    return ns.real(d) if ns._is_complex_dtype(d.dtype) else d


# ---------------------------------------------------------------------------
# qr
# ---------------------------------------------------------------------------


def _check_qr(x, mode):
    m, n = x.shape[-2], x.shape[-1]
    if mode == "complete" and m > n:
        raise _errors.not_differentiable_here(
            "linalg.qr", "with mode='complete' and more rows than columns (m > n), the "
                         "last m - n columns of Q are not determined by x; use "
                         "mode='reduced'")


def _qr_vjp(ns, ct, x, out, mode):
    # PyTorch's linalg_qr_backward
    _check_qr(x, mode)
    g_q, g_r = ct
    q, r = out
    m, n = q.shape[-2], r.shape[-1]
    g = g_r @ _mH(ns, r) - _mH(ns, q) @ g_q
    if m >= n:
        # gA = (gQ + Q syminvadj(triu(gR R^H - Q^H gQ))) R^{-H}
        g = ns.triu(g)
        g = g + _mH(ns, g)
        g = g - 0.5 * _diag_embed(ns, _diag(ns, g))
        g = q @ g + g_q
        return _solve_right_triangular(ns, g, _mH(ns, r), upper=False)
    # m < n: gA = [Q trilImInvAdjSkew(-(gR R^H - Q^H gQ)) R_1^{-H}, 0] + Q gR
    y = -g
    y = ns.tril(y - _mH(ns, y))
    y = y - 0.5 * _diag_embed(ns, _diag(ns, y))
    g = _solve_right_triangular(ns, q @ y, _mH(ns, r[..., :, :m]), upper=False)
    g = _zero_pad(ns, g, -1, n)  # pad with zero columns
    return g + q @ g_r


def _qr_jvp(ns, t, x, out, mode):
    # PyTorch's linalg_qr_jvp
    _check_qr(x, mode)
    q, r = out
    m, n = t.shape[-2], t.shape[-1]
    if m >= n:
        # dR = syminv(sym(Q^H dA R^{-1})) R, dQ = dA R^{-1} - Q syminv(...)
        da_rinv = _solve_right_triangular(ns, t, r, upper=True)
        y = _mH(ns, q) @ da_rinv
        y = y + _mH(ns, y)
        y = ns.triu(y) - 0.5 * _diag_embed(ns, _diag(ns, y))
        return da_rinv - q @ y, y @ r
    # m < n: dQ = Q triliminv(trilim(Q^H dA_1 R_1^{-1})), dR = Q^H dA - (Q^H dQ) R
    qh_da = _mH(ns, q) @ t
    y = _solve_right_triangular(ns, qh_da[..., :, :m], r[..., :, :m], upper=True)
    y = ns.tril(y, k=-1) + _diag_embed(ns, _imag_i(ns, _diag(ns, y)))
    y = y - _mH(ns, y)
    y = y - 0.5 * _diag_embed(ns, _diag(ns, y))
    return q @ y, qh_da - y @ r


# ---------------------------------------------------------------------------
# pinv
# ---------------------------------------------------------------------------


def _pinv_vjp(ns, ct, x, rtol, out):
    # PyTorch's pinv_backward (Golub and Pereyra, 1973), for a matrix of constant rank
    m, n = x.shape[-2], x.shape[-1]
    p, a = out, x
    ph = _mH(ns, p)
    gh = _mH(ns, ct)
    if m <= n:
        k = gh @ p
        kph = k @ ph
        return -_mH(ns, p @ k) + kph - (a @ p) @ kph + (ph @ p) @ (gh - k @ a)
    k = p @ gh
    phk = ph @ k
    return -_mH(ns, k @ p) + ((gh - a @ k) @ p) @ ph + phk - (phk @ p) @ a


def _pinv_jvp(ns, t, x, rtol, out):
    # PyTorch's pinv_jvp:
    # dP = -P dA P + (I - P A) dA^H P^H P + P P^H dA^H (I - A P)
    m, n = x.shape[-2], x.shape[-1]
    p, a = out, x
    dah = _mH(ns, t)
    ph = _mH(ns, p)
    if m <= n:
        k = ph @ dah
        return p @ (k - _mH(ns, k) - k @ (a @ p)) + (dah - p @ (a @ dah)) @ (ph @ p)
    k = p @ t
    kh = _mH(ns, k)
    return (kh - k - (p @ a) @ kh) @ p + (p @ ph) @ (dah - (dah @ a) @ p)


def _pinv_forward(xp, x, rtol, /):
    return xp.linalg.pinv(x, rtol=rtol)


# ---------------------------------------------------------------------------
# matrix_norm, matrix_power
# ---------------------------------------------------------------------------


def _even_mask(ns, values, axis, largest):
    """1/count where ``values`` equals its extremum along ``axis``, 0 elsewhere.

    The extremum is recomputed from ``values`` (not read from the backend's
    result, whose rounding may differ), and ties split evenly as ``amax`` does.
    """
    reduce = ns.max if largest else ns.min
    extremum = reduce(values, axis=axis, keepdims=True)
    mask = ns.astype(values == extremum, values.dtype)
    return mask / ns.sum(mask, axis=axis, keepdims=True)


def _matrix_norm_direction(ns, x, out_k, ord):
    """d matrix_norm / d x (the VJP for a cotangent of one), shape of ``x``."""
    if ord == "fro":
        safe = ns.where(out_k == 0, ns.ones_like(out_k), out_k)
        return ns.where(out_k == 0, ns.zeros_like(x), x / safe)
    if ord in ("nuc", 2, -2):
        # nuc = sum(svdvals), 2 = amax(svdvals), -2 = amin(svdvals)
        u, s, vh = ns.linalg.svd(x, full_matrices=False)
        w = ns.ones_like(s) if ord == "nuc" else _even_mask(ns, s, -1, ord == 2)
        return (u * ns.expand_dims(w, axis=-2)) @ vh
    # 1, -1: extremum over columns of the column sums of |x|; inf, -inf: over rows
    along = -2 if ord in (1, -1) else -1
    sums = ns.sum(ns.abs(x), axis=along, keepdims=True)
    w = _even_mask(ns, sums, -1 if along == -2 else -2, ord > 0)
    return ns.sign(x) * w


def _matrix_norm_vjp(ns, ct, x, out, keepdims, ord):
    out_k = out if keepdims else ns.expand_dims(ns.expand_dims(out, axis=-1), axis=-1)
    ct_k = ct if keepdims else ns.expand_dims(ns.expand_dims(ct, axis=-1), axis=-1)
    if ord in ("nuc", 2, -2):
        # the cotangent of the singular values goes into U diag(.) V^H, as in PyTorch's
        # svd_backward (so that a NaN or infinite cotangent spreads as there)
        u, s, vh = ns.linalg.svd(x, full_matrices=False)
        w = ns.ones_like(s) if ord == "nuc" else _even_mask(ns, s, -1, ord == 2)
        return (u * ns.expand_dims(w * ct_k[..., 0], axis=-2)) @ vh
    return ct_k * _matrix_norm_direction(ns, x, out_k, ord)


def _matrix_norm_jvp(ns, t, x, out, keepdims, ord):
    out_k = out if keepdims else ns.expand_dims(ns.expand_dims(out, axis=-1), axis=-1)
    direction = _matrix_norm_direction(ns, x, out_k, ord)
    product = conj(ns, direction) * t
    if ns._is_complex_dtype(product.dtype):
        product = ns.real(product)
    return ns.sum(product, axis=(-2, -1), keepdims=keepdims)


def _matrix_power_vjp(ns, ct, x, out, n):
    # A^n: gA = sum_k (A^H)^k G (A^H)^(n-1-k); n < 0: through B = inv(A), gA = -B^H gB B^H
    if n == 0:
        return ns.zeros_like(x)
    base = x if n > 0 else ns.linalg.inv(x)
    base_h = _mH(ns, base)
    total = None
    left = None  # (A^H)^k
    for k in range(abs(n)):
        right = ns.linalg.matrix_power(base_h, abs(n) - 1 - k)
        term = ct @ right if left is None else left @ ct @ right
        total = term if total is None else total + term
        left = base_h if left is None else left @ base_h
    if n > 0:
        return total
    return -(base_h @ total @ base_h)


def _matrix_power_jvp(ns, t, x, out, n):
    if n == 0:
        return ns.zeros_like(out)
    if n > 0:
        base, d_base = x, t
    else:
        base = ns.linalg.inv(x)
        d_base = -(base @ t @ base)
    total = None
    for k in range(abs(n)):
        term = d_base @ ns.linalg.matrix_power(base, abs(n) - 1 - k)
        if k:
            term = ns.linalg.matrix_power(base, k) @ term
        total = term if total is None else total + term
    return total


# ---------------------------------------------------------------------------
# cross, outer, diagonal, trace
# ---------------------------------------------------------------------------


def _diagonal_vjp(ns, ct, x, out, offset):
    # scatter ct back onto the offset diagonal: entry i sits on row i (k >= 0) or
    # column i (k < 0); zero-pad ct to that axis's length, spread it along the
    # other axis and keep the diagonal with the mask eye(n, m, k)
    rows, cols = x.shape[-2], x.shape[-1]
    mask = _eye_mask(ns, rows, cols, like=ct, k=offset)
    if offset >= 0:
        spread = ns.expand_dims(_zero_pad(ns, ct, -1, rows), axis=-1)
    else:
        spread = ns.expand_dims(_zero_pad(ns, ct, -1, cols), axis=-2)
    return ns.where(mask, spread, ns.zeros_like(spread))


def _trace_vjp(ns, ct, x, out, offset, dtype):
    rows, cols = x.shape[-2], x.shape[-1]
    spread = ns.expand_dims(ns.expand_dims(ct, axis=-1), axis=-1)
    return ns.where(_eye_mask(ns, rows, cols, like=ct, k=offset), spread,
                    ns.zeros_like(spread))


# ---------------------------------------------------------------------------
# the table
# ---------------------------------------------------------------------------


def _vector_norm_vjp(ns, ct, x, out, axis, keepdims, ord):
    """PyTorch's ``norm_backward``, term by term (which entries are 0, which NaN).

    ``ord = 0``: exact zeros; ``1``: ``sgn(x) ct``; ``2``: ``ct x / ||x||``, 0 where the
    norm is 0; ``inf``/``-inf``: ``sgn(x) ct / count`` at the entries whose magnitude is
    the norm (ties split evenly) or NaN; ``p < 1``: ``sgn(x) |x|^(p-1) ct ||x||^(1-p)``
    with 0 at zero entries; ``p > 1``: ``x |x|^(p-2) ct / ||x||^(p-1)``, with the
    cotangent 0 where the norm is 0.  ``sgn`` is PyTorch's (0 at NaN).
    """
    out_k = reduced(ns, out, x.shape, axis, keepdims)
    ct_k = reduced(ns, ct, x.shape, axis, keepdims)
    if ord == 0:
        return ns.zeros_like(x)
    if ord == 1:
        return sgn(ns, x) * ct_k
    if ord == 2:
        safe = ns.where(out_k == 0, ns.ones_like(out_k), out_k)
        return ct_k * ns.where(out_k == 0, ns.zeros_like(x), x / safe)
    magnitude = ns.abs(x)
    if ord in (math.inf, -math.inf):
        # amax's rule over |x|, NaN entries counted as extrema
        mask = ns.astype((magnitude == out_k) | ns.isnan(magnitude), out_k.dtype)
        count = ns.sum(mask, axis=axis, keepdims=True)
        return sgn(ns, x) * ((ct_k / count) * mask)
    if ord < 1:
        powered = magnitude ** (ord - 1)
        scaled = sgn(ns, x) * ns.where(x == 0, ns.zeros_like(powered), powered)
        return scaled * ct_k * out_k ** (1 - ord)
    scaled = sgn(ns, x) * magnitude ** (ord - 1) if ord < 2 else x * magnitude ** (ord - 2)
    scale = ct_k / out_k ** (ord - 1)
    return scaled * ns.where(out_k == 0, ns.zeros_like(scale), scale)


def _vector_norm_jvp(ns, t, x, out, axis, keepdims, ord):
    """PyTorch's ``norm_jvp`` (the same cases as :func:`_vector_norm_vjp`)."""
    out_k = reduced(ns, out, x.shape, axis, keepdims)

    def real_sum(a):
        a = ns.real(a) if ns._is_complex_dtype(a.dtype) else a
        return ns.sum(a, axis=axis, keepdims=keepdims)

    if ord == 0:
        return ns.zeros_like(out)
    if ord == 1:
        return real_sum(sgn(ns, x) * conj(ns, t))
    if ord == 2:
        safe = ns.where(out == 0, ns.ones_like(out), out)
        return ns.where(out == 0, ns.zeros_like(out), real_sum(x * conj(ns, t)) / safe)
    magnitude = ns.abs(x)
    if ord in (math.inf, -math.inf):
        mask = (magnitude == out_k) | (ns.isnan(x) & ns.isnan(out_k))
        mask = ns.astype(mask, out_k.dtype)
        count = ns.sum(mask, axis=axis, keepdims=True)
        return real_sum(sgn(ns, x) * conj(ns, t) * mask / count)
    if ord < 1:
        powered = magnitude ** (ord - 1)
        powered = ns.where(x == 0, ns.zeros_like(powered), powered)
        return real_sum(powered * sgn(ns, x) * conj(ns, t)) * out ** (1 - ord)
    if ord < 2:
        total = real_sum(magnitude ** (ord - 1) * sgn(ns, x) * conj(ns, t))
    else:
        total = real_sum(magnitude ** (ord - 2) * x * conj(ns, t))
    safe = ns.where(out == 0, ns.ones_like(out), out)
    return ns.where(out == 0, ns.zeros_like(out), total / safe ** (ord - 1))


def _rank_forward(xp, x, rtol, /):
    return xp.linalg.matrix_rank(x, rtol=rtol)


# -- batching rules (how the op runs on a stack of rows; see _batching.py) -----------------

def _batch_solve(ctx, primals, params):
    """``linalg.solve(x1, x2)``: a vector ``x2`` of a batched call becomes one column."""
    ns = ctx.ns
    a, b = primals
    fa, fb = ctx.batched
    sa = tuple(a.shape[1:]) if fa else tuple(a.shape)
    sb = tuple(b.shape[1:]) if fb else tuple(b.shape)
    vector = len(sb) == 1
    if vector:
        b = ns.reshape(b, ((ctx.size,) if fb else ()) + sb + (1,))
        sb = sb + (1,)
    if fb and not fa and len(sa) == 2 and vector:
        # rows of right-hand sides, one matrix: solve them all as columns at once
        cols = ns.matrix_transpose(ns.reshape(b, (ctx.size, sb[0])))
        out = ctx.call([a, cols], params)
        return ctx.wrap(ns.matrix_transpose(out))
    rank = max(len(sa), len(sb))
    # both operands as stacks with the batch axis first, their stacks aligned
    a = ctx.pad(a, rank) if fa else ns.broadcast_to(a, (ctx.size,) + (1,) * (rank - len(sa)) + sa)
    b = ctx.pad(b, rank) if fb else ns.broadcast_to(b, (ctx.size,) + (1,) * (rank - len(sb)) + sb)
    out = ctx.call([a, b], params)
    if vector:
        shape = tuple(out.shape)
        out = ns.reshape(out, shape[:-1])
    return ctx.wrap(out)


def _batch_outer(ctx, primals, params):
    """``linalg.outer`` of vectors: a broadcast product."""
    ns = ctx.ns
    a, b = primals
    a = ns.expand_dims(a, axis=-1)
    if ctx.batched[1]:
        b = ns.expand_dims(b, axis=1)
    return ctx.wrap(a * b)


# the source of the matrix-function rules, as the docstrings cite it
_GILES = ("M. Giles, \"An extended collection of matrix derivative results for forward and "
         "reverse mode algorithmic differentiation\" (2008), "
         "https://people.maths.ox.ac.uk/gilesm/files/NA-08-01.pdf")

LINALG_OPS: tuple[Op, ...] = (
    Op("linalg.cholesky", "floating-point", batch=_batching.elementwise,
       signature="x, /, *, upper=False",
       vjp={"x": _cholesky_vjp}, jvp={"x": _cholesky_jvp}, reads=("out",),
       summary=("The Cholesky factor of a complex Hermitian or real symmetric "
                "positive-definite matrix."),
       rule=("With ``L`` the lower factor, the VJP is ``L^-H phi(tril(L^H ct)) L^-1`` with "
             "``phi(X) = (X + tril(X, -1)^H) / 2``, the JVP ``L pi(L^-1 t L^-H)`` with "
             "``pi(X) = tril(X) - diag(X) / 2``; both assume a positive-definite input."),
       source="PyTorch's ``cholesky_backward``/``cholesky_jvp``; " + _GILES),
    bilinear("linalg.cross", "numeric", batch=_batching.broadcast_axis,
             signature="x1, x2, /, *, axis=-1",
             vjp={"x1": lambda ns, ct, x1, x2, out, axis:
                  ns.linalg.cross(conj(ns, x2), ct, axis=axis),
                  "x2": lambda ns, ct, x1, x2, out, axis:
                  ns.linalg.cross(ct, conj(ns, x1), axis=axis)},
             summary="The cross product of 3-element vectors along ``axis``.",
             rule="``cross(conj(x2), ct)`` for ``x1`` and ``cross(ct, conj(x1))`` for ``x2``"),
    Op("linalg.det", "floating-point", batch=_batching.elementwise,
       vjp={"x": _det_vjp}, jvp={"x": _det_jvp},
       summary="The determinant of a square matrix (or a stack).",
       rule=("The gradient is the cofactor matrix ``adj(x)^T``, computed through an SVD, so it "
             "is defined at every square matrix, singular or not (beyond PyTorch, which gives "
             "zeros at exactly singular inputs of rank n - 1); the JVP is ``sum(adj(x)^T * "
             "t)``."),
       source=_GILES + "; PyTorch's ``linalg_det_backward``"),
    linear("linalg.diagonal", "any", batch=_batching.elementwise,
           signature="x, /, *, offset=0", view=True,
           vjp={"x": _diagonal_vjp},
           summary="The ``offset``-th diagonal of a matrix (or a stack).",
           rule="writes the cotangent onto the diagonal of zeros of ``x``'s shape"),
    Op("linalg.eig", "floating-point", batch=_batching.elementwise, adapt=named(EigResult),
       vjp={"x": _eig_vjp}, jvp={"x": _eig_jvp},
       reads=("out",), sparse_cotangents=True,
       summary="The eigenvalues and right eigenvectors of a square matrix.",
       rule=("Assumes distinct eigenvalues (elsewhere inf or NaN, as in PyTorch); eigenvectors "
             "are defined up to a phase, so only losses invariant to it have a meaningful "
             "gradient."),
       source="PyTorch's ``linalg_eig_backward``/``linalg_eig_jvp``; " + _GILES),
    Op("linalg.eigh", "floating-point", batch=_batching.elementwise, adapt=named(EighResult),
       vjp={"x": _eigh_vjp}, jvp={"x": _eigh_jvp},
       reads=("out",), sparse_cotangents=True,
       summary=("The eigenvalues and eigenvectors of a complex Hermitian or real symmetric "
                "matrix."),
       rule=("Assumes distinct eigenvalues for the eigenvectors' term; with only the "
             "eigenvalues used the gradient ``V diag(ct) V^H`` is finite at repeated "
             "eigenvalues.  Eigenvectors are defined up to sign (a phase), so only losses "
             "invariant to it have a meaningful gradient."),
       source="PyTorch's ``linalg_eig_backward`` (Hermitian case); " + _GILES),
    Op("linalg.eigvals", "floating-point", batch=_batching.elementwise, vjp={"x": _eigvals_vjp},
       jvp={"x": _eigvals_jvp},
       summary="The eigenvalues of a square matrix.",
       rule="The VJP is ``V^-H diag(ct) V^H`` from the eigenvectors ``V``.",
       source="PyTorch's ``linalg_eig_backward``; " + _GILES),
    Op("linalg.eigvalsh", "floating-point", batch=_batching.elementwise, vjp={"x": _eigvalsh_vjp},
       jvp={"x": _eigvalsh_jvp}, reads=("x", "out"),
       summary="The eigenvalues of a complex Hermitian or real symmetric matrix.",
       rule=("The VJP is ``V diag(ct) V^H`` from the eigenvectors ``V``, the JVP ``diag(V^H t "
             "V)``."),
       source="PyTorch's ``linalg_eig_backward`` (Hermitian case); " + _GILES),
    Op("linalg.inv", "floating-point", batch=_batching.elementwise,
       adapt=singular_message("linalg.inv"), vjp={"x": _inv_vjp}, jvp={"x": _inv_jvp},
       reads=("out",),
       summary="The multiplicative inverse of a square matrix.",
       rule=("The VJP is ``-out^H @ ct @ out^H``, the JVP ``-out @ t @ out``.  A singular "
             "matrix raises the backend's error class with a message that says so."),
       source=_GILES + "; PyTorch's ``linalg_inv_ex`` formula"),
    Op("linalg.matrix_norm", "floating-point", batch=_batching.elementwise,
       signature="x, /, *, keepdims=False, ord='fro'",
       vjp={"x": _matrix_norm_vjp}, jvp={"x": _matrix_norm_jvp}, reads=("x", "out"),
       summary=("The matrix norm (``'fro'``, ``'nuc'``, ``1``, ``2``, ``inf`` and their "
                "negatives) of a matrix."),
       rule=("``'fro'``: ``ct * x / out`` (0 where the norm is 0); ``'nuc'``: ``ct * U @ Vh`` "
             "from the SVD; ``2``/``-2``: ``U diag(ct * w) Vh`` with ``w`` marking the largest "
             "(smallest) singular value; ``1``/``inf`` and their negatives: ``ct * sign(x)`` "
             "on the extreme column (row).  Ties split the cotangent evenly, as ``amax`` does."),
       source="PyTorch's ``norm_backward`` and ``linalg_matrix_norm``"),
    Op("linalg.matrix_power", "floating-point", batch=_batching.elementwise, signature="x, n, /",
       vjp={"x": _matrix_power_vjp}, jvp={"x": _matrix_power_jvp},
       summary="A square matrix raised to an integer power ``n``.",
       rule=("Product rule over the factors: ``sum_k (x^k)^H ct (x^(n-1-k))^H``; a negative "
             "``n`` goes through the inverse."),
       source=_GILES),
    nondifferentiable("linalg.matrix_rank", "floating-point", batch=_batching.elementwise,
                      signature="x, /, *, rtol=None", arrays=("x", "rtol"),
                      forward=_rank_forward,
                      summary=("The rank of a matrix: the number of singular values above the "
                               "tolerance.")),
    bilinear("linalg.outer", "numeric", batch=_batch_outer,
             vjp={"x1": lambda ns, ct, x1, x2, out: ct @ conj(ns, x2),
                  "x2": lambda ns, ct, x1, x2, out: conj(ns, x1) @ ct},
             summary="The outer product of two vectors.",
             rule="``ct @ conj(x2)`` for ``x1`` and ``conj(x1) @ ct`` for ``x2``"),
    Op("linalg.pinv", "floating-point", batch=_batching.elementwise,
       signature="x, /, *, rtol=None",
       arrays=("x", "rtol"), forward=_pinv_forward,
       vjp={"x": _pinv_vjp}, jvp={"x": _pinv_jvp}, reads=("x", "rtol", "out"),
       summary="The Moore-Penrose pseudo-inverse of a matrix.",
       rule=("Assumes full rank (elsewhere inf or NaN, as in PyTorch); ``rtol`` is not "
             "differentiable."),
       source="PyTorch's ``pinv_backward``/``pinv_jvp``; " + _GILES),
    Op("linalg.qr", "floating-point", batch=_batching.elementwise,
       signature="x, /, *, mode='reduced'", adapt=named(QRResult),
       vjp={"x": _qr_vjp}, jvp={"x": _qr_jvp}, reads=("x", "out"),
       summary="The QR decomposition of a matrix (``Q`` orthonormal, ``R`` upper triangular).",
       rule="Assumes full rank; with ``mode='complete'`` differentiable only when ``m <= n``.",
       source="PyTorch's ``linalg_qr_backward``/``linalg_qr_jvp``"),
    Op("linalg.slogdet", "floating-point", batch=_batching.elementwise,
       adapt=named(SlogdetResult), vjp={"x": _slogdet_vjp},
       jvp={"x": _slogdet_jvp}, reads=("x", "out"),
       summary="The sign and the natural logarithm of the absolute value of the determinant.",
       rule=("The VJP is ``g * inv(x)^H`` with ``g`` the ``logabsdet`` cotangent (plus, for a "
             "complex input, a term from the ``sign`` cotangent); it assumes an invertible "
             "matrix (at a singular one the gradient is +-inf, NaN where a cofactor is zero, "
             "without raising, as in PyTorch)."),
       source="PyTorch's ``slogdet_backward``"),
    Op("linalg.solve", "floating-point", batch=_batch_solve,
       signature="x1, x2, /", arrays=("x1", "x2"), adapt=singular_message("linalg.solve"),
       vjp=_solve_vjp, jvp=_solve_jvp, reads=("x1", "x2", "out"),
       summary="The solution ``out`` of the linear system ``x1 @ out = x2``.",
       rule=("The VJP is ``g = solve(x1^H, ct)`` for ``x2`` and ``-g @ out^H`` for ``x1``; the "
             "JVP is ``solve(x1, t2 - t1 @ out)``.  A singular ``x1`` raises the backend's "
             "error class with a message that says so."),
       source=_GILES + "; PyTorch's ``linalg_solve_backward``"),
    Op("linalg.svd", "floating-point", batch=_batching.elementwise,
       signature="x, /, *, full_matrices=True", adapt=named(SVDResult),
       vjp={"x": _svd_vjp}, jvp={"x": _svd_jvp}, reads=("out",),
       sparse_cotangents=True,
       summary="The singular value decomposition ``U diag(S) Vh`` of a matrix.",
       rule=("Assumes distinct non-zero singular values (elsewhere inf or NaN, as in PyTorch); "
             "singular vectors are defined up to sign (a phase), so only losses invariant to "
             "it have a meaningful gradient; with only ``S`` used the gradient is ``U diag(ct) "
             "Vh``."),
       source="PyTorch's ``svd_backward``/``linalg_svd_jvp``; " + _GILES),
    # the cofactor matrix adj(x)^T: det's derivative, private (ns._function)
    Op("linalg._cofactor", "floating-point", batch=_batching.elementwise,
       forward=_cofactor_forward, vjp={"x": _cofactor_vjp}, jvp={"x": _cofactor_jvp},
       summary="The cofactor matrix ``adj(x)^T`` (``det``'s derivative), private.",
       rule="Its own VJP and JVP, through an SVD, so ``det`` has second derivatives.",
       source=_GILES),
    Op("linalg.svdvals", "floating-point", batch=_batching.elementwise, vjp={"x": _svdvals_vjp},
       jvp={"x": _svdvals_jvp},
       summary="The singular values of a matrix, in descending order.",
       rule="The VJP is ``U diag(ct) Vh`` from the singular vectors.",
       source="PyTorch's ``svd_backward``"),
    linear("linalg.trace", "numeric", batch=_batching.elementwise,
           signature="x, /, *, offset=0, dtype=None",
           vjp={"x": _trace_vjp},
           summary="The sum of the ``offset``-th diagonal of a matrix (or a stack).",
           rule="writes the cotangent onto the diagonal of zeros of ``x``'s shape"),
    Op("linalg.vector_norm", "floating-point", batch=_batching.reduction,
       signature="x, /, *, axis=None, keepdims=False, ord=2",
       vjp={"x": _vector_norm_vjp}, jvp={"x": _vector_norm_jvp}, reads=("x", "out"),
       summary="The vector ``ord``-norm of the elements along ``axis``.",
       rule=("``ord=0``: exact zeros; ``1``: ``sgn(x) * ct``; ``2``: ``ct * x / out``; "
             "``inf``/``-inf``: ``sgn(x) * ct / count`` at the entries whose magnitude is the "
             "norm (ties split evenly); other ``p``: ``x * |x|**(p - 2) * ct / out**(p - 1)`` "
             "(0 at zero entries for ``p < 1``).  Where the norm is 0 the gradient is 0 "
             "(PyTorch's convention)."),
       source="PyTorch's ``norm_backward``"),
)

# Functions of the main namespace that the extension repeats under the same name.
MAIN_NAMESPACE_ALIASES = ("matmul", "matrix_transpose", "tensordot", "vecdot")

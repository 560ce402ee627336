"""The function names of the array API standard, 2025.12 edition, as data.

Spec: https://data-apis.org/array-api/2025.12/API_specification/index.html
(main namespace by section), https://data-apis.org/array-api/2025.12/extensions/
(``linalg`` and ``fft``).  Cross-checked against ``array_api_strict`` 2.6
(API 2025.12): ``dir(array_api_strict)``, ``array_api_strict.linalg`` and
``array_api_strict.fft``.  Dtypes, constants and ``__array_namespace_info__``
are not functions and are left out.
"""

from __future__ import annotations

API_VERSION = "2025.12"

# one entry per section of the main namespace, names as the standard spells them
SECTIONS: dict[str, tuple[str, ...]] = {
    "elementwise": tuple("""
        abs acos acosh add asin asinh atan atan2 atanh bitwise_and bitwise_invert
        bitwise_left_shift bitwise_or bitwise_right_shift bitwise_xor ceil clip conj
        copysign cos cosh divide equal exp expm1 floor floor_divide greater
        greater_equal hypot imag isfinite isinf isnan less less_equal log log10
        log1p log2 logaddexp logical_and logical_not logical_or logical_xor maximum
        minimum multiply negative nextafter not_equal positive pow real reciprocal
        remainder round sign signbit sin sinh sqrt square subtract tan tanh trunc
    """.split()),
    "creation": tuple("""
        arange asarray empty empty_like eye from_dlpack full full_like linspace
        meshgrid ones ones_like tril triu zeros zeros_like
    """.split()),
    "data_type": tuple("""
        astype can_cast finfo iinfo isdtype result_type
    """.split()),
    "indexing": tuple("""
        take take_along_axis
    """.split()),
    "linear_algebra": tuple("""
        matmul matrix_transpose tensordot vecdot
    """.split()),
    "manipulation": tuple("""
        broadcast_arrays broadcast_shapes broadcast_to concat expand_dims flip
        moveaxis permute_dims repeat reshape roll squeeze stack tile unstack
    """.split()),
    "searching": tuple("""
        argmax argmin count_nonzero nonzero searchsorted where
    """.split()),
    "set": tuple("""
        isin unique_all unique_counts unique_inverse unique_values
    """.split()),
    "sorting": tuple("""
        argsort sort
    """.split()),
    "statistical": tuple("""
        cumulative_prod cumulative_sum max mean min prod std sum var
    """.split()),
    "utility": tuple("""
        all any diff
    """.split()),
}

LINALG: tuple[str, ...] = tuple("""
        cholesky cross det diagonal eig eigh eigvals eigvalsh inv matmul matrix_norm
        matrix_power matrix_rank matrix_transpose outer pinv qr slogdet solve svd svdvals
        tensordot trace vecdot vector_norm
    """.split())

FFT: tuple[str, ...] = tuple("""
        fft fftfreq fftn fftshift hfft ifft ifftn ifftshift ihfft irfft irfftn rfft rfftfreq
        rfftn
    """.split())

MAIN: tuple[str, ...] = tuple(sorted(name for names in SECTIONS.values() for name in names))

ALL_NAMES: tuple[str, ...] = MAIN + tuple(f"linalg.{n}" for n in LINALG) + tuple(
    f"fft.{n}" for n in FFT)
"""Every function of the standard, extension functions prefixed (``"linalg.solve"``)."""

"""The ``fft`` extension, each function with its derivative.

Spec section: "Fourier Transform Functions",
https://data-apis.org/array-api/latest/extensions/fourier_transform_functions.html

Every transform is linear (over the reals), so its JVP is the transform of the
tangent.  The VJP is the adjoint transform (PyTorch's ``fft_c2c`` backward and
``fft_r2c_backward`` / ``fft_c2r_backward`` in ``FunctionsManual.cpp``):

* a complex transform's adjoint is the inverse-direction transform with the
  *dual* normalization (``"backward"`` <-> ``"forward"``, ``"ortho"`` stays);
* ``rfft``'s adjoint zero-fills the missing half of the spectrum, applies the
  adjoint complex transform and keeps the real part;
* ``irfft``'s adjoint is ``rfft`` with the dual normalization, with the bins
  whose mirror image was dropped (``1 .. n - (n//2 + 1)``) doubled;
* ``hfft(x) = irfft(conj(x))`` and ``ihfft(x) = conj(rfft(x))`` with swapped
  normalization (NumPy's definitions), so their adjoints follow by
  conjugation;
* when ``n``/``s`` crop or zero-pad the input, the cotangent is zero-padded
  or cropped back to the input's length (the adjoint of cropping is padding).

``fftshift`` and ``ifftshift`` are rolls, each the other's transpose.
``fftfreq`` and ``rfftfreq`` create arrays and are never recorded.
"""

from __future__ import annotations

from .. import _batching
from .._op import Op, conj, creation, linear
from .linalg import _real_dtype, _zero_pad

_DUAL = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _fit(ns, a, axis: int, length: int):
    """``a`` cropped or zero-padded to ``length`` along ``axis`` (the adjoint of each other)."""
    ax = axis % a.ndim
    current = a.shape[ax]
    if current == length:
        return a
    if current > length:
        return a[(slice(None),) * ax + (slice(0, length), Ellipsis)]
    return _zero_pad(ns, a, ax, length)


def _fit_all(ns, a, axes, shape):
    for ax in axes:
        a = _fit(ns, a, ax, shape[ax])
    return a


def _nd_axes(x, s, axes):
    """The transformed axes (non-negative), as the standard defines them."""
    if axes is None:
        count = x.ndim if s is None else len(s)
        axes = range(x.ndim - count, x.ndim)
    return tuple(a % x.ndim for a in axes)


def _halved_weights(ns, g, axis: int, n: int):
    """Weights 1, 2, ..., 2, 1 (length n//2 + 1) along ``axis``: the bins whose
    mirror image ``irfft`` reconstructs count twice (PyTorch's fft_c2r_backward)."""
    length = n // 2 + 1
    values = [2.0 if 1 <= j <= n - length else 1.0 for j in range(length)]
    w = ns.asarray(values, dtype=_real_dtype(ns, g.dtype), device=g.device)
    shape = [1] * g.ndim
    shape[axis % g.ndim] = length
    return ns.reshape(w, tuple(shape))


# --- one-dimensional ------------------------------------------------------------


def _fft_vjp(ns, ct, x, out, n, axis, norm):
    g = ns.fft.ifft(ct, axis=axis, norm=_DUAL[norm])
    return _fit(ns, g, axis, x.shape[axis])


def _ifft_vjp(ns, ct, x, out, n, axis, norm):
    g = ns.fft.fft(ct, axis=axis, norm=_DUAL[norm])
    return _fit(ns, g, axis, x.shape[axis])


def _rfft_vjp(ns, ct, x, out, n, axis, norm):
    length = x.shape[axis] if n is None else n
    # the transform's own n zero-fills the missing half (one chunk on Dask, whose
    # FFTs need the transformed axis in one chunk)
    g = ns.real(ns.fft.ifft(ct, n=length, axis=axis, norm=_DUAL[norm]))
    return _fit(ns, g, axis, x.shape[axis])


def _irfft_vjp(ns, ct, x, out, n, axis, norm):
    length = ct.shape[axis]
    g = ns.fft.rfft(ct, axis=axis, norm=_DUAL[norm])
    g = g * _halved_weights(ns, g, axis, length)
    return _fit(ns, g, axis, x.shape[axis])


def _hfft_vjp(ns, ct, x, out, n, axis, norm):
    # hfft(x) = irfft(conj(x)) with the dual normalization
    length = ct.shape[axis]
    g = ns.fft.rfft(ct, axis=axis, norm=norm)
    g = conj(ns, g * _halved_weights(ns, g, axis, length))
    return _fit(ns, g, axis, x.shape[axis])


def _ihfft_vjp(ns, ct, x, out, n, axis, norm):
    # ihfft(x) = conj(rfft(x)) with the dual normalization
    length = x.shape[axis] if n is None else n
    g = ns.real(ns.fft.ifft(conj(ns, ct), n=length, axis=axis, norm=norm))
    return _fit(ns, g, axis, x.shape[axis])


# --- n-dimensional ----------------------------------------------------------------


def _fftn_vjp(ns, ct, x, out, s, axes, norm):
    axes = _nd_axes(x, s, axes)
    g = ns.fft.ifftn(ct, axes=axes, norm=_DUAL[norm])
    return _fit_all(ns, g, axes, x.shape)


def _ifftn_vjp(ns, ct, x, out, s, axes, norm):
    axes = _nd_axes(x, s, axes)
    g = ns.fft.fftn(ct, axes=axes, norm=_DUAL[norm])
    return _fit_all(ns, g, axes, x.shape)


def _rfftn_vjp(ns, ct, x, out, s, axes, norm):
    axes = _nd_axes(x, s, axes)
    last = axes[-1]
    length = x.shape[last] if s is None else s[-1]
    lengths = tuple(ct.shape[a] for a in axes[:-1]) + (length,)
    g = ns.real(ns.fft.ifftn(ct, s=lengths, axes=axes, norm=_DUAL[norm]))
    return _fit_all(ns, g, axes, x.shape)


def _irfftn_vjp(ns, ct, x, out, s, axes, norm):
    axes = _nd_axes(x, s, axes)
    last = axes[-1]
    length = ct.shape[last]
    g = ns.fft.rfftn(ct, axes=axes, norm=_DUAL[norm])
    g = g * _halved_weights(ns, g, last, length)
    return _fit_all(ns, g, axes, x.shape)


_ONE = "x, /, *, n=None, axis=-1, norm='backward'"
_ND = "x, /, *, s=None, axes=None, norm='backward'"
_SHIFT = "x, /, *, axes=None"
_FREQ = "n, /, *, d=1.0, dtype=None, device=None"


def _freq_forward(name):
    def forward(xp, n, /, *, d=1.0, dtype=None, device=None):
        kwargs = {"d": d}
        if dtype is not None:  # the 2025.12 parameter: only passed when given
            kwargs["dtype"] = dtype
        if device is not None:
            kwargs["device"] = device
        return getattr(xp.fft, name)(n, **kwargs)

    return forward


# -- batching rules (how the op runs on a stack of rows; see _batching.py) -----------------

def _batch_fft_nd(ctx, primals, params):
    """``fftn``-like: ``axes=None`` is every logical axis, or the last ``len(s)``."""
    ndim = ctx.ndim(primals[0], True)
    axes_ = params.get("axes")
    if axes_ is None:
        s = params.get("s")
        axes_ = tuple(range(ndim - len(s), ndim)) if s is not None else tuple(range(ndim))
    return ctx.wrap(ctx.call(primals, {**params, "axes": _batching.shift(tuple(axes_), ndim)}))


FFT_OPS: tuple[Op, ...] = (
    linear("fft.fft", "complex floating-point", batch=_batching.axes("axis"),
           signature=_ONE, vjp={"x": _fft_vjp},
           summary="The one-dimensional discrete Fourier transform.",
           rule=("is the inverse-direction transform with the dual normalization "
                 "(``'backward'`` <-> ``'forward'``, ``'ortho'`` stays), with the cotangent "
                 "padded or cropped back to the input's length"),
           source="PyTorch's ``fft_c2c`` backward"),
    linear("fft.ifft", "complex floating-point", batch=_batching.axes("axis"),
           signature=_ONE, vjp={"x": _ifft_vjp},
           summary="The one-dimensional inverse discrete Fourier transform.",
           rule=("is the forward-direction transform with the dual normalization, with the "
                 "cotangent padded or cropped back to the input's length"),
           source="PyTorch's ``fft_c2c`` backward"),
    linear("fft.fftn", "complex floating-point", batch=_batch_fft_nd,
           signature=_ND, vjp={"x": _fftn_vjp},
           summary="The n-dimensional discrete Fourier transform.",
           rule=("is the inverse-direction transform over the same axes with the dual "
                 "normalization, padded or cropped back to the input's shape"),
           source="PyTorch's ``fft_c2c`` backward"),
    linear("fft.ifftn", "complex floating-point", batch=_batch_fft_nd,
           signature=_ND, vjp={"x": _ifftn_vjp},
           summary="The n-dimensional inverse discrete Fourier transform.",
           rule=("is the forward-direction transform over the same axes with the dual "
                 "normalization, padded or cropped back to the input's shape"),
           source="PyTorch's ``fft_c2c`` backward"),
    linear("fft.rfft", "real floating-point", batch=_batching.axes("axis"),
           signature=_ONE, vjp={"x": _rfft_vjp},
           summary=("The one-dimensional discrete Fourier transform of a real signal (the "
                    "non-negative frequencies)."),
           rule=("zero-fills the missing half of the spectrum, applies the adjoint complex "
                 "transform and keeps the real part"),
           source="PyTorch's ``fft_r2c_backward``"),
    linear("fft.irfft", "complex floating-point", batch=_batching.axes("axis"),
           signature=_ONE, vjp={"x": _irfft_vjp},
           summary="The inverse of ``rfft``: a real signal from its non-negative frequencies.",
           rule=("is ``rfft`` with the dual normalization, the bins whose mirror image was "
                 "dropped doubled"),
           source="PyTorch's ``fft_c2r_backward``"),
    linear("fft.rfftn", "real floating-point", batch=_batch_fft_nd,
           signature=_ND, vjp={"x": _rfftn_vjp},
           summary="The n-dimensional discrete Fourier transform of a real signal.",
           rule=("zero-fills the missing half of the last axis's spectrum, applies the adjoint "
                 "complex transform and keeps the real part"),
           source="PyTorch's ``fft_r2c_backward``"),
    linear("fft.irfftn", "complex floating-point", batch=_batch_fft_nd,
           signature=_ND, vjp={"x": _irfftn_vjp},
           summary="The inverse of ``rfftn``.",
           rule=("is ``rfftn`` with the dual normalization, the bins whose mirror image was "
                 "dropped doubled"),
           source="PyTorch's ``fft_c2r_backward``"),
    linear("fft.hfft", "complex floating-point", batch=_batching.axes("axis"),
           signature=_ONE, vjp={"x": _hfft_vjp},
           summary=("The discrete Fourier transform of a signal with Hermitian symmetry (a "
                    "real spectrum)."),
           rule=("follows from ``hfft(x) = irfft(conj(x))`` with swapped normalization, by "
                 "conjugation"),
           source="PyTorch's ``fft_c2r_backward``; NumPy's definition of ``hfft``"),
    linear("fft.ihfft", "real floating-point", batch=_batching.axes("axis"),
           signature=_ONE, vjp={"x": _ihfft_vjp},
           summary="The inverse of ``hfft``.",
           rule=("follows from ``ihfft(x) = conj(rfft(x))`` with swapped normalization, by "
                 "conjugation"),
           source="PyTorch's ``fft_r2c_backward``; NumPy's definition of ``ihfft``"),
    creation("fft.fftfreq", _FREQ, forward=_freq_forward("fftfreq"),
             summary="The sample frequencies of a discrete Fourier transform of length ``n``."),
    creation("fft.rfftfreq", _FREQ, forward=_freq_forward("rfftfreq"),
             summary="The non-negative sample frequencies of ``rfft`` of length ``n``."),
    linear("fft.fftshift", "numeric", batch=_batching.axes("axes"), signature=_SHIFT,
           vjp={"x": lambda ns, ct, x, out, axes: ns.fft.ifftshift(ct, axes=axes)},
           summary="The spectrum shifted so that the zero frequency is at the center.",
           rule="is ``ifftshift`` of the cotangent"),
    linear("fft.ifftshift", "numeric", batch=_batching.axes("axes"), signature=_SHIFT,
           vjp={"x": lambda ns, ct, x, out, axes: ns.fft.fftshift(ct, axes=axes)},
           summary="The inverse of ``fftshift``.",
           rule="is ``fftshift`` of the cotangent"),
)

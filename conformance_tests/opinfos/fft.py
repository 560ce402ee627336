"""OpInfo records for the fft extension (see _core.py for the fields).

Spec: https://data-apis.org/array-api/latest/extensions/fourier_transform_functions.html

Every transform is sampled with the three normalizations and with ``n``/``s``
equal to, smaller than (cropping) and larger than (zero-padding) the input
length.  The complex-input transforms (``fft``, ``ifft``, ``fftn``, ``ifftn``,
``irfft``, ``irfftn``, ``hfft``) run in complex dtypes, the real-input ones
(``rfft``, ``rfftn``, ``ihfft``) in real dtypes, as the standard specifies.
"""

from __future__ import annotations

from hypothesis import strategies as st

from ._core import OpInfo, Sample, shape_strategy, values  # noqa: F401

_NORMS = ("backward", "ortho", "forward")
_REAL = ("float64", "float32")
_COMPLEX = ("complex128", "complex64")


def _one_dimensional(draw):
    shape, axis = draw(st.sampled_from([((6,), -1), ((2, 5), -1), ((5, 3), 0),
                                        ((2, 4, 3), 1)]))
    length = shape[axis]
    n = draw(st.sampled_from([None, length, length - 2, length + 3]))
    kwargs = {"axis": axis, "norm": draw(st.sampled_from(_NORMS))}
    if n is not None:
        kwargs["n"] = n
    return Sample((values(draw, shape),), kwargs)


def _n_dimensional(draw):
    shape, axes, s = draw(st.sampled_from([
        ((4, 5), None, None),
        ((2, 4, 5), (1, 2), None),
        ((3, 4), (0, 1), (2, 6)),
        ((2, 3, 4), (-1, 0), (5, 3)),
        ((2, 3, 4), (0, 1, 2), (2, 3, 4)),
        ((5, 4), (0,), (7,)),
    ]))
    kwargs = {"norm": draw(st.sampled_from(_NORMS))}
    if axes is not None:
        kwargs["axes"] = axes
    if s is not None:
        kwargs["s"] = s
    return Sample((values(draw, shape),), kwargs)


def _shift(draw):
    shape, axes = draw(st.sampled_from([((5,), None), ((3, 4), None), ((3, 4), 0),
                                        ((2, 3, 5), (0, 2)), ((0,), None)]))
    kwargs = {} if axes is None else {"axes": axes}
    return Sample((values(draw, shape),), kwargs)


def _freq(draw):
    n = draw(st.sampled_from([1, 4, 7]))
    # the default dtype is the backend's (float32 in PyTorch): name it, so that the
    # cross-backend check compares like with like
    kwargs = draw(st.sampled_from([{}, {"d": 0.5}, {"d": 2.0}]))
    return Sample((n,), {**kwargs, "dtype": draw(st.sampled_from(["float32", "float64"]))})


def _transform(name, dtypes, sample):
    return OpInfo(name, family="custom", sample=sample, dtypes=dtypes,
                  rtol={"float64": 1e-9, "float32": 2e-4, "complex128": 1e-9,
                        "complex64": 2e-4})


OPINFOS: tuple[OpInfo, ...] = (
    _transform("fft.fft", _COMPLEX, _one_dimensional),
    _transform("fft.ifft", _COMPLEX, _one_dimensional),
    _transform("fft.fftn", _COMPLEX, _n_dimensional),
    _transform("fft.ifftn", _COMPLEX, _n_dimensional),
    _transform("fft.rfft", _REAL, _one_dimensional),
    _transform("fft.irfft", _COMPLEX, _one_dimensional),
    _transform("fft.rfftn", _REAL, _n_dimensional),
    _transform("fft.irfftn", _COMPLEX, _n_dimensional),
    _transform("fft.hfft", _COMPLEX, _one_dimensional),
    _transform("fft.ihfft", _REAL, _one_dimensional),
    OpInfo("fft.fftfreq", family="custom", sample=_freq, differentiable=False,
           dtypes=("float64",)),
    OpInfo("fft.rfftfreq", family="custom", sample=_freq, differentiable=False,
           dtypes=("float64",)),
    OpInfo("fft.fftshift", family="custom", sample=_shift, dtypes=_REAL + ("complex128",)),
    OpInfo("fft.ifftshift", family="custom", sample=_shift, dtypes=_REAL + ("complex128",)),
)

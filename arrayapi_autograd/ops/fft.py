"""The ``fft`` extension, each function with its derivative.

Spec section: "Fourier Transform Functions",
https://data-apis.org/array-api/latest/extensions/fourier_transform_functions.html
"""

from __future__ import annotations

from .._op import Op

FFT_OPS: tuple[Op, ...] = ()

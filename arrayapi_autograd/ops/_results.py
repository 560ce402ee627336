"""The standard's named results, and the containers of the version in force.

The standard gives the results of ``linalg.eigh``, ``linalg.eig``, ``linalg.qr``,
``linalg.slogdet``, ``linalg.svd`` and the ``unique_*`` functions named fields
(``eigenvalues``/``eigenvectors``, ``Q``/``R``, ``sign``/``logabsdet``,
``U``/``S``/``Vh``, ``values``/``indices``/``inverse_indices``/``counts``).
Backends differ (array-api-compat's PyTorch returns plain tuples, NumPy its own
named tuples), so every namespace returns these types, whatever its backend:
``xp.linalg.svd(a).S`` works everywhere, and indexing (``svd(a)[1]``) too.
Each field is the wrapped array itself: gradients flow through it.

``meshgrid`` and ``broadcast_arrays`` return a list up to the 2024.12 edition of
the standard and a tuple from 2025.12 on: the namespace's version in force
(``xp.__array_api_version__``) decides, whatever the backend returns.
"""

from __future__ import annotations

from typing import NamedTuple

from .. import _errors


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class EigResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class QRResult(NamedTuple):
    Q: object
    R: object


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


class UniqueAllResult(NamedTuple):
    values: object
    indices: object
    inverse_indices: object
    counts: object


class UniqueCountsResult(NamedTuple):
    values: object
    counts: object


class UniqueInverseResult(NamedTuple):
    values: object
    inverse_indices: object


def named(result_type):
    """``Op.adapt``: the backend's result as ``result_type`` (a NamedTuple)."""

    def adapt(forward, ns):
        def forward_named(*args, **kwargs):
            return result_type(*forward(*args, **kwargs))

        return forward_named

    return adapt


def sequence_of_version(forward, ns):
    """``Op.adapt`` of ``meshgrid``, ``broadcast_arrays``: a list before 2025.12, a tuple after."""

    def forward_sequence(*args, **kwargs):
        out = forward(*args, **kwargs)
        return tuple(out) if ns.__array_api_version__ >= "2025.12" else list(out)

    return forward_sequence


def device_when_given(forward, ns):
    """``Op.adapt`` of ``astype``: ``device`` passed only when given.

    array-api-strict's ``astype`` reads an explicit ``device=None`` as its
    default device, where the standard keeps the input's.
    """

    def forward_device(*args, device=None, **kwargs):
        if device is not None:
            kwargs["device"] = device
        return forward(*args, **kwargs)

    return forward_device


def singular_message(what: str):
    """``Op.adapt`` of ``linalg.inv``, ``linalg.solve``: the backend's error, our message.

    A backend that finds the matrix singular raises its own error class
    (NumPy's ``LinAlgError``, PyTorch's ``torch.linalg.LinAlgError``); it is
    raised again, same class, with a message that says the matrix is singular
    and what to use instead.  Other errors pass unchanged.
    """

    def adapt(forward, ns):
        def forward_checked(*args, **kwargs):
            try:
                return forward(*args, **kwargs)
            except Exception as exc:
                if not _errors.is_singular_matrix_error(exc):
                    raise
                raise _errors.singular_matrix(what, exc) from exc

        return forward_checked

    return adapt

"""Forward mode: tangents carried alongside primals, one *level* per open ``jvp``.

An :class:`~arrayapi_autograd.Array` carries ``_tangents``, a dict from level
to tangent array.  Each op's JVP rule (from the same record as its VJP; an
elementwise record's one local derivative serves both) turns input tangents
into the output tangent as the op runs, so a JVP costs about one extra forward
pass.  Levels nest: an inner ``jvp`` opens a higher level, and a rule
computing the tangent of level ``L`` sees its inputs without the tangents of
``L`` and of inner levels, which prevents perturbation confusion (Siskind and
Pearlmutter, 2005) while keeping the outer levels' derivatives of the inner
tangent.
"""

from __future__ import annotations

import contextlib

from . import _errors
from ._array_object import Array, BatchedArray
from . import _tape
from ._tape import state


@contextlib.contextmanager
def dual_level():
    """Open a new forward-mode level; yields its number (levels are never reused)."""
    level = next(_tape.levels)
    state.open_levels.add(level)
    try:
        yield level
    finally:
        state.open_levels.discard(level)


def make_dual(primal: Array, tangent: Array, level: int) -> Array:
    """A wrapper of ``primal`` (same data and history) carrying ``tangent`` at ``level``.

    Raises
    ------
    ValueError
        ``tangent`` has a different shape than ``primal``.
    """
    ns = primal._ns
    if not isinstance(tangent, (Array, BatchedArray)):
        tangent = ns.asarray(tangent)
    if tangent.shape != primal.shape:
        raise _errors.tangent_shape(tangent.shape, primal.shape)
    if tangent.dtype != primal.dtype:
        tangent = ns.astype(tangent, primal.dtype)
    tangents = dict(primal._tangents) if primal._tangents else {}
    tangents[level] = tangent
    return Array._from_node(primal._data, ns, primal._node, primal._index, primal._version,
                            tangents)


def unpack_dual(value: Array, level: int):
    """``(primal, tangent)`` of ``value`` at ``level``; the tangent is zeros if absent.

    The primal keeps the tangents of the other (outer) levels and its history.
    """
    tangents = value._tangents or {}
    tangent = tangents.get(level)
    if tangent is None:
        tangent = value._ns.zeros_like(value)
    rest = {k: v for k, v in tangents.items() if k != level}
    primal = Array._from_node(value._data, value._ns, value._node, value._index,
                              value._version, rest or None)
    return primal, tangent


def jvp_arrays(f, primals: tuple, tangents: tuple):
    """JVP of ``f`` at array ``primals`` along array ``tangents``: ``(f(*primals), J @ t)``.

    ``f`` returns one array.  The public transform with pytrees is
    :func:`arrayapi_autograd.jvp`.
    """
    with dual_level() as level:
        duals = tuple(make_dual(p, t, level) for p, t in zip(primals, tangents))
        out = f(*duals)
        return unpack_dual(out, level)

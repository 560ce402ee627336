"""The conformance table: one OpInfo per function, mirroring the package's sections."""

from __future__ import annotations

from . import (array_object, creation, data_type, elementwise, fft, indexing, linalg,
               linear_algebra, manipulation, searching, set, sorting, statistical, utility)
from ._core import OpInfo, Sample

ALL_OPINFOS: tuple[OpInfo, ...] = (
    array_object.OPINFOS + creation.OPINFOS + data_type.OPINFOS + elementwise.OPINFOS
    + indexing.OPINFOS + linear_algebra.OPINFOS + manipulation.OPINFOS + searching.OPINFOS
    + set.OPINFOS + sorting.OPINFOS + statistical.OPINFOS + utility.OPINFOS
    + linalg.OPINFOS + fft.OPINFOS
)

BY_NAME = {info.name: info for info in ALL_OPINFOS}

__all__ = ["ALL_OPINFOS", "BY_NAME", "OpInfo", "Sample"]

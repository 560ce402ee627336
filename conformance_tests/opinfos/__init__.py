"""The conformance table: one OpInfo per function, mirroring the package's sections.

The sections are the package's own list (``arrayapi_autograd.ops.SECTIONS``):
each has a module here named by its key, holding that section's ``OPINFOS``.
"""

from __future__ import annotations

import importlib

from arrayapi_autograd.ops import SECTIONS

from ._core import OpInfo, Sample

ALL_OPINFOS: tuple[OpInfo, ...] = tuple(
    info for section in SECTIONS
    for info in importlib.import_module(f"{__name__}.{section.key}").OPINFOS)

BY_NAME = {info.name: info for info in ALL_OPINFOS}

__all__ = ["ALL_OPINFOS", "BY_NAME", "OpInfo", "Sample"]

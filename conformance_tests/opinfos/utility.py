"""OpInfo records for the utility section (see _core.py for the fields)."""

from __future__ import annotations

from ._core import OpInfo, Sample, shape_strategy, values  # noqa: F401

OPINFOS: tuple[OpInfo, ...] = ()

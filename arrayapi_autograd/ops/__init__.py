"""The op tables, one module per section of the array API standard.

:data:`SECTIONS` is the one list of the standard's sections: the namespace
binds the records in its order, the conformance suite's OpInfo tables mirror
it (``conformance_tests/opinfos/<key>.py``), and the docs list the functions
by it.  ``ALL_OPS`` is the concatenation of the sections' records.
"""

from __future__ import annotations

from typing import NamedTuple

from .._op import Op
from . import fft, linalg
from ._array_methods import ARRAY_METHOD_OPS
from ._creation_functions import CREATION_OPS
from ._data_type_functions import DATA_TYPE_OPS
from ._elementwise_functions import ELEMENTWISE_OPS
from ._indexing_functions import INDEXING_OPS
from ._linear_algebra_functions import LINEAR_ALGEBRA_OPS
from ._manipulation_functions import MANIPULATION_OPS
from ._searching_functions import SEARCHING_OPS
from ._set_functions import SET_OPS
from ._sorting_functions import SORTING_OPS
from ._statistical_functions import STATISTICAL_OPS
from ._utility_functions import UTILITY_OPS


class Section(NamedTuple):
    """One section of the standard: its title, a short key, the module and its records."""

    title: str
    key: str
    module: str
    ops: tuple[Op, ...]


SECTIONS: tuple[Section, ...] = (
    Section("Creation functions", "creation", "_creation_functions", CREATION_OPS),
    Section("Data type functions", "data_type", "_data_type_functions", DATA_TYPE_OPS),
    Section("Element-wise functions", "elementwise", "_elementwise_functions",
            ELEMENTWISE_OPS),
    Section("Indexing functions", "indexing", "_indexing_functions", INDEXING_OPS),
    Section("Linear algebra functions", "linear_algebra", "_linear_algebra_functions",
            LINEAR_ALGEBRA_OPS),
    Section("Manipulation functions", "manipulation", "_manipulation_functions",
            MANIPULATION_OPS),
    Section("Searching functions", "searching", "_searching_functions", SEARCHING_OPS),
    Section("Set functions", "set", "_set_functions", SET_OPS),
    Section("Sorting functions", "sorting", "_sorting_functions", SORTING_OPS),
    Section("Statistical functions", "statistical", "_statistical_functions",
            STATISTICAL_OPS),
    Section("Utility functions", "utility", "_utility_functions", UTILITY_OPS),
    Section("linalg extension", "linalg", "linalg", linalg.LINALG_OPS),
    Section("fft extension", "fft", "fft", fft.FFT_OPS),
    Section("Array object (operators, indexing)", "array_object", "_array_methods",
            ARRAY_METHOD_OPS),
)

ALL_OPS: tuple[Op, ...] = tuple(op for section in SECTIONS for op in section.ops)

BY_NAME = {op.name: op for op in ALL_OPS}

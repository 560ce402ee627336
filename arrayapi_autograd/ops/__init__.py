"""The op tables, one module per section of the array API standard.

Each section module holds one tuple of op records; ``ALL_OPS`` is their
concatenation, in the order the namespace binds them.
"""

from __future__ import annotations

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

ALL_OPS = (
    CREATION_OPS
    + DATA_TYPE_OPS
    + ELEMENTWISE_OPS
    + INDEXING_OPS
    + LINEAR_ALGEBRA_OPS
    + MANIPULATION_OPS
    + SEARCHING_OPS
    + SET_OPS
    + SORTING_OPS
    + STATISTICAL_OPS
    + UTILITY_OPS
    + linalg.LINALG_OPS
    + fft.FFT_OPS
    + ARRAY_METHOD_OPS
)

BY_NAME = {op.name: op for op in ALL_OPS}

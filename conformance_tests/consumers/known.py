"""Reviewed reasons for failures of ours that the automatic rule cannot see.

The runner classifies a failure of ours as *inherited* when the same test does
not pass on the wrapped backend, and otherwise as a *defect of ours*.  Some
tests pass on the wrapped backend only because the suite, or the library under
test, branches on the backend's name (it delegates to ``numpy.setdiff1d``
when it sees NumPy, or expects what it knows of ``array_api_strict``); and
some defects are known and fixed elsewhere.  Each entry here was checked by
hand: a suite, a glob on the test's node id (without the parameters' folders),
a glob on our backend, the category and one line of evidence.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

REVIEWED = (
    # (suite, node id glob, backend glob, category, evidence)
    ("array-api-extra", "test_at.py::test_incompatible_dtype[[]*", "*.array_api_strict",
     "by name", "the test expects int[:] = 1.1 to raise only when library.like("
     "Backend.ARRAY_API_STRICT); ours raises the wrapped array_api_strict's TypeError"),
    ("array-api-extra", "test_elementwise.py::TestNanToNum::*", "*.torch",
     "by name", "the suite's infinity fixture gives float32's max only to Backend.TORCH; "
     "ours gives torch's float32 max, as torch does"),
    ("array-api-extra", "test_set.py::TestNUnique::test_delegates[[]*", "*",
     "by name", "nunique delegates to unique_counts only for is_numpy_namespace/"
     "is_torch_namespace (names); on ours it takes the array-agnostic path, which the "
     "test forbids"),
    ("array-api-extra", "test_testing.py::test_lazy_xp_function_cython_ufuncs[[]*", "*",
     "by name", "a NumPy ufunc (scipy.special.erf) turns an array without __array_ufunc__ "
     "into a NumPy array; the test expects that only of array_api_strict and JAX, by name"),
)


def lookup(suite: str, nodeid: str, backend: str) -> tuple[str, str] | None:
    """``(category, evidence)`` of the first entry that matches, else ``None``."""
    for s, test, where, category, evidence in REVIEWED:
        if s == suite and fnmatchcase(nodeid, "*" + test) and fnmatchcase(backend, where):
            return category, evidence
    return None

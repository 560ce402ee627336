"""Reviewed reasons for failures of ours that the automatic rule cannot see.

The runner classifies a failure of ours as *inherited* when the same test does
not pass on the wrapped backend, and otherwise as a *defect of ours*.  Some
tests pass on the wrapped backend only because the suite, or the library under
test, branches on the backend's name (it delegates to ``numpy.setdiff1d``
when it sees NumPy, or expects what it knows of ``array_api_strict``); and
some defects are known and fixed elsewhere.  Each entry here was checked by
hand: globs on the suite, on the test's node id, on our backend and on the
failure's message, then the category and one line of evidence.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

REVIEWED = (
    # (suite, node id, backend, message, category, evidence): globs, then the verdict
    ("*", "*", "*", "TypeError: can only concatenate tuple (not \"list\") to tuple",
     "defect of ours", "__array_namespace_info__().devices() returns a tuple where the "
     "standard returns a list, and the test adds a list to it (known; being fixed)"),
    ("*", "*", "*.array_api_strict", "*Arrays from two different devices*",
     "defect of ours", "astype and asarray(copy=True) of the strict namespace return "
     "arrays on the default device instead of the input's (known; being fixed)"),
    ("*", "*", "*.array_api_strict", "*Device('CPU_DEVICE') == *Device('device1')*",
     "defect of ours", "astype and asarray(copy=True) of the strict namespace return "
     "arrays on the default device instead of the input's (known; being fixed)"),
    ("*", "*", "*.array_api_strict", "*mismatched devices*",
     "defect of ours", "astype and asarray(copy=True) of the strict namespace return "
     "arrays on the default device instead of the input's (known; being fixed)"),
    ("*", "*", "*.array_api_strict", "*array_device(*) == array_device(*)*",
     "defect of ours", "astype and asarray(copy=True) of the strict namespace return "
     "arrays on the default device instead of the input's (known; being fixed)"),
    ("scipy.stats", "test_resampling.py::*", "*.array_api_strict",
     "IndexError: Integer index arrays are only allowed with integer indices*", "by name",
     "scipy.stats._resampling indexes sample[..., i] unless is_array_api_strict(xp), "
     "which array_api_strict (and ours over it) refuses"),
    ("scipy.ndimage", "test_filters.py::TestVectorizedFilter::test_against_generic_filter*",
     "*.array_api_strict", "IndexError: *masking is only specified*", "by name",
     "the test runs the footprint ([..., mask] indexing) case unless "
     "is_array_api_strict(xp); array_api_strict (and ours over it) refuses that index"),
    ("scipy.ndimage", "test_filters.py::test_gaussian_filter_float16*", "*",
     "AttributeError: module * has no attribute 'float16'", "by name",
     "float16 is not a dtype of the standard; the suite skips array_api_strict by name "
     "for lacking it ('no float16'), and ours has only the standard's dtypes"),
    ("scipy.special", "test_logsumexp.py::TestLogSumExp::test_dtypes_ab[[]*",
     "*.array_api_strict", "*cannot be type promoted together", "by name",
     "the test computes the expected dtype differently when is_array_api_strict(xp); "
     "ours raises array_api_strict's own promotion error in the other branch"),
    ("array-api-extra", "test_at.py::test_incompatible_dtype[[]*", "*.array_api_strict", "*",
     "by name", "the test expects int[:] = 1.1 to raise only when library.like("
     "Backend.ARRAY_API_STRICT); ours raises the wrapped array_api_strict's TypeError"),
    ("array-api-extra", "test_elementwise.py::TestNanToNum::*", "*.torch", "*",
     "by name", "the suite's infinity fixture gives float32's max only to Backend.TORCH; "
     "ours gives torch's float32 max, as torch does"),
    ("array-api-extra", "test_set.py::TestNUnique::test_delegates[[]*", "*", "*",
     "by name", "nunique delegates to unique_counts only for is_numpy_namespace/"
     "is_torch_namespace (names); on ours it takes the array-agnostic path, which the "
     "test forbids"),
    ("array-api-extra", "test_testing.py::test_lazy_xp_function_cython_ufuncs[[]*", "*", "*",
     "by name", "a NumPy ufunc (scipy.special.erf) turns an array without __array_ufunc__ "
     "into a NumPy array; the test expects that only of array_api_strict and JAX, by name"),
)


def lookup(suite: str, nodeid: str, backend: str, message: str) -> tuple[str, str] | None:
    """``(category, evidence)`` of the first entry that matches, else ``None``."""
    for s, test, where, text, category, evidence in REVIEWED:
        if (fnmatchcase(suite, s) and fnmatchcase(nodeid, "*" + test)
                and fnmatchcase(backend, where) and fnmatchcase(message, text)):
            return category, evidence
    return None

"""Reviewed reasons for failures of ours that the automatic rule cannot see.

The runner classifies a failure of ours as *inherited* when the same test does
not pass on the wrapped backend; otherwise it looks here, and a failure that no
entry explains is a *defect of ours*.  Some tests pass on the wrapped backend
only because the suite, or the library under test, branches on the backend's
name (array-api-extra's ``nunique`` delegates to ``unique_counts`` when it sees
NumPy; SciPy's tests expect what they know of ``array_api_strict``); and some
defects of ours are known.  Each entry here was checked by hand: globs on the
suite, on the test's node id, on our backend and on the
failure's message, then the category and one line of evidence.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

DEVICE_LOSS = ("astype and asarray(copy=True) of the strict namespace put the result on "
               "the default device, not the input's (known; being fixed): with astype "
               "keeping the device, the test passes")

REVIEWED = (
    # (suite, node id, backend, message, category, evidence): globs, then the verdict
    ("scikit-learn", "*test_extmath.py::test_randomized_range_finder_array_api_compliance*",
     "*", "*", "by name",
     "the test skips its integer-input part when array_namespace in {'array_api_strict', "
     "'torch'} (their matmul refuses int x float); ours over them is not that name, so "
     "the part runs and the backend's own matmul refuses the promotion"),
    ("scikit-learn", "*test_label.py::test_label_binarize_array_api_compliance*",
     "*.numpy", "AssertionError: Regex pattern did not match*", "by name",
     "sklearn's _is_numpy_namespace(xp) compares xp.__name__ with NumPy's names: the test "
     "expects the non-NumPy error message, label_binarize takes another name-based branch"),
    ("*", "*", "*", "TypeError: can only concatenate tuple (not \"list\") to tuple",
     "defect of ours", "__array_namespace_info__().devices() returns a tuple where the "
     "standard returns a list, and the suite adds a list to it (known; being fixed)"),
    ("*", "*", "*.array_api_strict", "*evice*", "defect of ours", DEVICE_LOSS),
    ("scipy.*", "*", "*.torch", "*meta*", "by name",
     "SciPy's devices fixture leaves torch's 'meta' device out only when is_torch(xp); "
     "ours lists torch's devices, and values cannot be read on 'meta'"),
    ("scipy.special", "test_logsumexp.py::TestLogSumExp::test_dtypes_ab[[]*",
     "*.array_api_strict", "*cannot be type promoted together", "by name",
     "the test computes the expected dtype differently when is_array_api_strict(xp); "
     "ours raises array_api_strict's own promotion error in the other branch"),
    ("scipy.stats", "test_resampling.py::*", "*.array_api_strict",
     "IndexError: Integer index arrays are only allowed with integer indices*", "by name",
     "scipy.stats._resampling indexes sample[..., i] unless is_array_api_strict(xp), "
     "which array_api_strict (and ours over it) refuses"),
    ("scipy.stats", "test_resampling.py::TestBootstrap::test_bootstrap_degenerate*",
     "*.array_api_strict", "Failed: DID NOT WARN*", "by name",
     "inside pytest.warns, bootstrap raises the IndexError above (sample[..., i] unless "
     "is_array_api_strict(xp)) before SciPy can warn, so pytest reports the missing warning"),
    ("scipy.ndimage", "test_filters.py::TestVectorizedFilter::test_against_generic_filter*",
     "*.array_api_strict", "IndexError: Single-axes index*", "by name",
     "the test runs the footprint ([..., mask] indexing) case unless "
     "is_array_api_strict(xp); array_api_strict (and ours over it) refuses that index"),
    ("scipy.ndimage", "test_filters.py::TestVectorizedFilter::test_edge_cases*",
     "*.array_api_strict", "IndexError: Single-axes index True*", "by name",
     "the test runs footprint=True (input[True] indexing) unless is_array_api_strict(xp); "
     "array_api_strict (and ours over it) refuses a boolean scalar index"),
    ("scipy.ndimage", "test_filters.py::test_gaussian_filter_float16*", "*",
     "AttributeError: module * has no attribute 'float16'", "by name",
     "float16 is not a dtype of the standard; the suite skips array_api_strict by name "
     "for lacking it ('no float16'), and ours has only the standard's dtypes"),
    ("scikit-learn", "test_common.py::test_array_api_compliance[[]balanced_accuracy_score-*",
     "*.array_api_strict", "TypeError: Only floating-point dtypes are allowed in __truediv__",
     "by name", "balanced_accuracy_score casts its integer confusion matrix to floating "
     "point only when _is_xp_namespace(xp, 'array_api_strict')"),
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

"""SciPy, array-api-extra and scikit-learn, differentiated unmodified.

One test per library function and backend (the cases live in ``_cases.py``, which
also feeds the documentation's compatibility table).  A case passes when its outcome
is the expected one: for ``"ok"`` cases, values and gradients equal those of the same
library function run on torch tensors under ``torch.autograd``; for the others, the
documented failure happens (e.g. the library converts to NumPy and our ``__array__``
refuses, or it writes in place into a saved array and the backward raises as torch's
does).
"""

import os

import pytest

import _cases

pytest.importorskip("torch", reason="the reference gradients come from torch.autograd")

PARAMS = []
for case in _cases.cases():
    for backend in _cases.BACKENDS:
        marks = []
        reason = _cases.known_bug(case, backend)
        if reason:
            marks.append(pytest.mark.xfail(reason=reason, strict=True))
        PARAMS.append(pytest.param(case, backend, id=f"{case.id}-{backend}", marks=marks))


def test_scipy_saw_array_api_flag():
    """SciPy must have been imported after SCIPY_ARRAY_API=1 (set by conftest.py)."""
    pytest.importorskip("scipy")
    from scipy._lib._array_api import SCIPY_ARRAY_API

    assert os.environ.get("SCIPY_ARRAY_API") == "1"
    assert SCIPY_ARRAY_API, ("scipy was imported before tests/integration/conftest.py set "
                             "SCIPY_ARRAY_API=1; its array API path is off")


@pytest.mark.parametrize("case, backend", PARAMS)
def test_library_function(case, backend):
    pytest.importorskip(backend)
    outcome = _cases.run(case, backend)
    assert outcome.status == case.expected(backend), outcome.detail

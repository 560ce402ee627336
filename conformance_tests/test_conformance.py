"""pytest entry of the conformance suite: op x backend x dtype x check, then coverage.

Every test is one check of ``conformance_tests/checks.py`` for one record of
the OpInfo table on one backend and dtype, over the same few Hypothesis samples
(ids such as ``sin-numpy-float64-vjp``).  Expected failures of the table are
``xfail(strict=True)`` with the record's reason; backends that cannot run here
(no GPU) are skipped with the reason.

Environment variables:

``CONFORMANCE_EXAMPLES``
    Hypothesis examples per record (default 3, to stay within a few minutes
    on 2 cores; ``python -m conformance_tests`` defaults to 5).
``CONFORMANCE_BACKENDS``
    Comma-separated backend names or module names (default:
    ``backends.DEFAULT_BACKENDS``, every member of
    :class:`~conformance_tests.backends.Backend` but the opt-in JAX;
    ``CONFORMANCE_BACKENDS=numpy,jax`` adds it).
"""

from __future__ import annotations

import os

import array_api_compat
import pytest

from arrayapi_autograd import ops

from . import backends, spec_names
from .checks import Session, checks_for
from .opinfos import ALL_OPINFOS
from .opinfos import BY_NAME as OPINFOS_BY_NAME

EXAMPLES = int(os.environ.get("CONFORMANCE_EXAMPLES", "3"))
BACKEND_NAMES = [n.strip() for n in os.environ.get(
    "CONFORMANCE_BACKENDS", ",".join(backends.DEFAULT_BACKENDS)).split(",") if n.strip()]
TARGETS = [backends.load(name) for name in BACKEND_NAMES]
SESSION = Session(TARGETS, EXAMPLES)


def _params():
    # a backend that cannot run here (no GPU) gets one skipped test below, not one per check
    available = [t for t in TARGETS if t.available]
    for info in ALL_OPINFOS:
        for target in available:
            for dtype in info.dtypes:
                for check in checks_for(info, dtype):
                    if check == "backends" and target is SESSION.baseline:
                        continue
                    marks = []
                    reason = info.expected_failure(check, target.name)
                    if reason:
                        marks.append(pytest.mark.xfail(strict=True, reason=reason))
                    yield pytest.param(info, target, dtype, check, marks=marks,
                                       id=f"{info.name}-{target.name}-{dtype}-{check}")


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
def test_backend_available(target):
    """One line per backend: the GPU ones are skipped here with the reason."""
    if not target.available:
        pytest.skip(f"backend {target.name} unavailable: {target.reason}")
    assert target.ns is not None and target.xp is not None


@pytest.mark.parametrize("info, target, dtype, check", list(_params()))
def test_conformance(info, target, dtype, check):
    outcome = SESSION.run(info, target, dtype, check, apply_xfail=False)
    if outcome.status == "skip":
        pytest.skip(outcome.message)
    if outcome.failed:
        pytest.fail(outcome.headline(), pytrace=False)


def _lookup(namespace, name: str):
    obj = namespace
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _has_record(name: str, table) -> bool:
    """A record under ``name``, or under the main-namespace name of a ``linalg`` alias."""
    if name in table:
        return True
    prefix, _, short = name.rpartition(".")
    return prefix == "linalg" and short in ops.linalg.MAIN_NAMESPACE_ALIASES and short in table


def test_coverage():
    """Like array-api-strict's test_missing_functions: spec, namespace, rules and table agree.

    For every standard function that a backend's array API namespace provides,
    our namespace over that backend must have it, the op tables must hold its
    record, and the conformance table its OpInfo.  All missing names are
    reported at once.
    """
    problems: dict[str, list[str]] = {}
    for name in spec_names.ALL_NAMES:
        lacking = []
        provided = False
        for target in TARGETS:
            if not target.available or _lookup(target.xp, name) is None:
                continue
            provided = True
            if _lookup(target.ns, name) is None:
                lacking.append(target.name)
        if not provided:
            continue
        if lacking:
            problems.setdefault(name, []).append(f"not in our namespace over {', '.join(lacking)}")
        if not _has_record(name, ops.BY_NAME):
            problems.setdefault(name, []).append("no op record in arrayapi_autograd.ops")
        if not _has_record(name, OPINFOS_BY_NAME):
            problems.setdefault(name, []).append("no OpInfo in conformance_tests/opinfos")
    if problems:
        lines = [f"  {name}: {'; '.join(what)}" for name, what in problems.items()]
        pytest.fail(f"{len(problems)} of {len(spec_names.ALL_NAMES)} standard functions are "
                    f"not fully covered:\n" + "\n".join(lines), pytrace=False)


def test_spec_names_match_array_api_strict():
    """The written-out list of names equals what array-api-strict (2025.12) provides."""
    strict = pytest.importorskip("array_api_strict")
    if getattr(strict, "__array_api_version__", "") != spec_names.API_VERSION:
        pytest.skip(f"array_api_strict implements {strict.__array_api_version__}")
    missing = [n for n in spec_names.ALL_NAMES if _lookup(strict, n) is None]
    assert not missing, missing
    assert len(set(spec_names.ALL_NAMES)) == len(spec_names.ALL_NAMES)
    assert array_api_compat.is_array_api_strict_namespace(strict)

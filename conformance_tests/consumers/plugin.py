"""The pytest plugin that adds our namespaces to a consumer's own test suite.

Loaded by :mod:`conformance_tests.consumers` as ``pytest -p
conformance_tests.consumers.plugin --consumers-suite NAME ...`` on the test
modules that a library ships in its installed package.  Nothing of theirs is
edited; for each suite the plugin reuses the suite's own backend fixture:

``array-api-extra``
    The ``library`` fixture (``array_api_extra/tests/main/conftest.py``) is
    parametrized over the suite's ``Backend`` enum; here it is parametrized
    over the control backends (numpy, array_api_strict, torch) and
    :class:`OurBackend` stand-ins, which quack like ``Backend`` members whose
    module is ``arrayapi_autograd.<name>``.  The suite's ``xp`` fixture then
    imports that module and takes ``array_namespace(xp.empty(0))``: our
    namespace.
``scipy.*``
    The ``xp`` fixture (``scipy/conftest.py``) is parametrized over modules
    and reads ``xp.__name__`` for its ``skip_xp_backends``/``xfail_xp_backends``
    marks; our modules are added to its params, and their names to its
    ``xp_known_backends`` so that ``np_only=True`` skips them as it skips every
    backend but NumPy.  A mark naming ``"numpy"`` does not reach ours.
``scikit-learn``
    Tests are parametrized by ``yield_namespace_device_dtype_combinations()``
    (module names as strings) and build their namespace with
    ``_array_api_for_tests``; both are wrapped before the test modules are
    imported, so our module names are yielded beside the control's and resolve
    to our namespaces (the device and dtype checks are sklearn's own, run for
    the wrapped backend).

In every suite a test is kept only if it is parametrized over a backend; the
suite's other tests are deselected.  Each test's outcome, backend and twin (the
same test on the wrapped backend) is written to ``--consumers-out`` as one JSON
line, and the run stops cleanly once ``--consumers-time-limit`` seconds have
passed (the tests of one function run on all backends one after another, so a
cut run stays comparable across backends).
"""

from __future__ import annotations

import json
import sys
import time

import pytest

PREFIX = "arrayapi_autograd."
"""Our modules are ``PREFIX + wrapped``; a test id of ours minus it is its twin."""

CONTROLS = ("numpy", "array_api_strict", "torch")
"""The backends each suite runs as controls, and that ours wrap."""


def ours(name: str) -> str:
    """The module name of our namespace over the backend ``name``."""
    return PREFIX + name


def twin(nodeid: str) -> str:
    """The node id of the same test on the wrapped (control) backend."""
    return nodeid.replace(PREFIX, "", 1)


def pytest_addoption(parser):
    group = parser.getgroup("consumers", "arrayapi_autograd in a consumer's test suite")
    group.addoption("--consumers-suite", default=None,
                    help="array-api-extra, scipy or scikit-learn")
    group.addoption("--consumers-out", default=None,
                    help="file that receives one JSON line per test outcome")
    group.addoption("--consumers-time-limit", type=float, default=None,
                    help="stop starting tests after this many seconds")


# ---------------------------------------------------------------------------
# array-api-extra: the ``library`` fixture takes Backend-like objects
# ---------------------------------------------------------------------------

class OurBackend:
    """Stands for our namespace over ``wrapped`` where the suite takes a ``Backend``.

    It has what array-api-extra's fixtures read: ``modname`` (imported by its
    ``xp`` fixture), ``like()``, ``name``, ``value``; it equals no ``Backend``
    member, so marks that name a backend (``skip_xp_backend(Backend.NUMPY)``)
    and tests that compare ``library`` with one do not treat it as that backend.
    """

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.modname = ours(wrapped.modname)
        self.value = self.modname
        self.name = "ARRAYAPI_AUTOGRAD_" + wrapped.name

    def like(self, *others) -> bool:
        return any(self.modname == other.modname for other in others)

    def pytest_param(self):
        return pytest.param(self, id=self.modname)

    def __repr__(self) -> str:
        return f"<OurBackend {self.modname}>"

    __str__ = __repr__


def _aext_params():
    from array_api_extra._lib._backends import Backend

    controls = [b for b in Backend if b.value in CONTROLS]
    return ([b.pytest_param() for b in controls]
            + [OurBackend(b).pytest_param() for b in controls])


def _aext_backend(item) -> str | None:
    library = _param(item, "library")
    return None if library is None else library.modname


# ---------------------------------------------------------------------------
# SciPy: the ``xp`` fixture takes modules
# ---------------------------------------------------------------------------

def _scipy_params():
    import importlib

    conftest = sys.modules.get("scipy.conftest")
    params = []
    for name in CONTROLS:
        params.append(pytest.param(importlib.import_module(name), id=name,
                                   marks=pytest.mark.array_api_backends))
    for name in CONTROLS:
        params.append(pytest.param(importlib.import_module(ours(name)), id=ours(name),
                                   marks=pytest.mark.array_api_backends))
        if conftest is not None:
            conftest.xp_known_backends.add(ours(name))
    return params


def _scipy_backend(item) -> str | None:
    xp = _param(item, "xp")
    return getattr(xp, "__name__", None)


# ---------------------------------------------------------------------------
# scikit-learn: module names as strings, resolved by ``_array_api_for_tests``
# ---------------------------------------------------------------------------

def _sklearn_patch() -> None:
    import sklearn.utils._array_api as sk_array_api
    import sklearn.utils._testing as sk_testing

    import arrayapi_autograd

    combinations = sk_array_api.yield_namespace_device_dtype_combinations
    namespaces = sk_array_api.yield_namespaces
    for_tests = sk_testing._array_api_for_tests

    def yield_namespace_device_dtype_combinations(include_numpy_namespaces=True):
        kept = [c for c in combinations(include_numpy_namespaces=include_numpy_namespaces)
                if c[0] in CONTROLS and c[1] in (None, "cpu", "CPU_DEVICE", "device1")]
        yield from kept
        for name, device, dtype in kept:
            yield ours(name), device, dtype

    def yield_namespaces(include_numpy_namespaces=True):
        kept = [n for n in namespaces(include_numpy_namespaces=include_numpy_namespaces)
                if n in CONTROLS]
        yield from kept
        yield from (ours(n) for n in kept)

    def _array_api_for_tests(array_namespace, device_name=None, dtype_name=None):
        if isinstance(array_namespace, str) and array_namespace.startswith(PREFIX):
            wrapped = array_namespace[len(PREFIX):]
            _, device = for_tests(wrapped, device_name, dtype_name)
            return arrayapi_autograd.namespace(wrapped), device
        return for_tests(array_namespace, device_name, dtype_name)

    sk_array_api.yield_namespace_device_dtype_combinations = (
        yield_namespace_device_dtype_combinations)
    sk_array_api.yield_namespaces = yield_namespaces
    sk_testing._array_api_for_tests = _array_api_for_tests


def _sklearn_backend(item) -> str | None:
    name = _param(item, "array_namespace")
    return name if isinstance(name, str) else None


# ---------------------------------------------------------------------------

SUITES = {
    # suite: (fixture to parametrize, its params, backend of an item)
    "array-api-extra": ("library", _aext_params, _aext_backend),
    "scipy": ("xp", _scipy_params, _scipy_backend),
    "scikit-learn": (None, None, _sklearn_backend),
}


MARKERS = {
    # marks a suite declares in its own (not installed) pytest configuration
    "array-api-extra": ("skip_xp_backend(library, *, reason=None): skip a backend",
                        "xfail_xp_backend(library, *, reason=None, strict=None): xfail it"),
}


def _param(item, name):
    callspec = getattr(item, "callspec", None)
    return None if callspec is None else callspec.params.get(name)


class Recorder:
    """Parametrizes the suite's backend fixture, records outcomes, keeps the time."""

    def __init__(self, config):
        self.suite = config.getoption("consumers_suite")
        if self.suite not in SUITES:
            raise pytest.UsageError(
                f"--consumers-suite must be one of {', '.join(SUITES)}; got {self.suite!r}")
        self.fixture, self.make_params, self.backend_of = SUITES[self.suite]
        self.params = None
        path = config.getoption("consumers_out")
        self.out = open(path, "w", encoding="utf-8") if path else None  # noqa: SIM115
        self.limit = config.getoption("consumers_time_limit")
        self.start = time.monotonic()
        self.backends: dict[str, str] = {}
        if self.suite == "scikit-learn":
            _sklearn_patch()
        if self.suite == "array-api-extra":
            import array_api_strict  # the suite's xp fixture sets this for its own run

            array_api_strict.set_array_api_strict_flags(api_version="2025.12")

    def _write(self, record: dict) -> None:
        if self.out is not None:
            self.out.write(json.dumps(record) + "\n")
            self.out.flush()

    @pytest.hookimpl(tryfirst=True)
    def pytest_generate_tests(self, metafunc):
        if self.fixture is None or self.fixture not in metafunc.fixturenames:
            return
        for mark in metafunc.definition.iter_markers("parametrize"):
            names = mark.args[0] if mark.args else mark.kwargs.get("argnames", "")
            if isinstance(names, str):
                names = [n.strip() for n in names.split(",")]
            if self.fixture in names:
                return  # the test chooses its own backends
        if self.params is None:
            self.params = self.make_params()
        metafunc.definition.add_marker(
            pytest.mark.parametrize(self.fixture, self.params, indirect=True))

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config, items):
        kept, dropped = [], []
        for item in items:
            backend = self.backend_of(item)
            (kept if backend is not None else dropped).append(item)
            if backend is not None:
                self.backends[item.nodeid] = backend
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
        counts: dict[str, int] = {}
        for backend in self.backends.values():
            counts[backend] = counts.get(backend, 0) + 1
        self._write({"collected": counts})
        self.start = time.monotonic()

    def pytest_runtest_logreport(self, report):
        backend = self.backends.get(report.nodeid)
        if backend is None:
            return
        outcome = None
        if report.when == "call" or report.failed or report.skipped:
            if hasattr(report, "wasxfail"):
                outcome = "xfailed" if report.skipped else "xpassed"
            else:
                outcome = report.outcome
        if outcome is None or (report.when == "teardown" and outcome == "passed"):
            return
        self._write({
            "nodeid": report.nodeid,
            "twin": twin(report.nodeid),
            "backend": backend,
            "when": report.when,
            "outcome": outcome,
            "message": _message(report),
        })

    def pytest_runtest_logfinish(self, nodeid, location):
        if self.limit is not None and time.monotonic() - self.start > self.limit:
            session = getattr(self, "session", None)
            if session is not None:
                session.shouldstop = (f"the time limit of {self.limit:g} s for this "
                                      "suite was reached")

    def pytest_sessionstart(self, session):
        self.session = session

    def pytest_sessionfinish(self, session, exitstatus):
        self._write({"finished": True, "stopped": session.shouldstop or None,
                     "seconds": round(time.monotonic() - self.start, 1)})
        if self.out is not None:
            self.out.close()
            self.out = None


def _message(report) -> str:
    """One line: the skip or xfail reason, or the exception's last line."""
    if hasattr(report, "wasxfail") and report.wasxfail:
        return str(report.wasxfail)
    longrepr = report.longrepr
    if longrepr is None:
        return ""
    if isinstance(longrepr, tuple):  # a skip: (path, line, reason)
        return str(longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(longrepr)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    first = lines[0] if lines else ""
    if first.rstrip(":") == "AssertionError":  # a bare assert: say which one
        text = str(longrepr).splitlines()
        errors = [i for i, line in enumerate(text) if line.startswith("E ")]
        source = [line.lstrip(">").strip() for line in text[:errors[-1]]
                  if line.strip(" ^~") and not line.startswith("E ")] if errors else []
        if source:
            first = f"AssertionError: {source[-1]}"
    return first[:300]


def pytest_configure(config):
    if config.getoption("consumers_suite", None) is None:
        return
    for line in MARKERS.get(config.getoption("consumers_suite"), ()):
        config.addinivalue_line("markers", line)
    config.pluginmanager.register(Recorder(config), "consumers-recorder")

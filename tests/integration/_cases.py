"""Third-party array API code, differentiated unmodified: the cases and their runner.

Each :class:`Case` calls one public function of SciPy (with ``SCIPY_ARRAY_API=1``),
array-api-extra or scikit-learn (with ``array_api_dispatch=True``) on arrays of a wrapped
namespace, takes the VJP of a fixed random cotangent, and compares values and gradients
with the same library function run on PyTorch tensors under ``torch.autograd`` (the
library's own array API path on torch, which is the reference).

:func:`run` returns an :class:`Outcome` whose ``status`` is one of:

``"ok"``
    values and gradients match the torch reference;
``"converts to NumPy"``
    the library calls ``numpy.asarray`` (usually before compiled code) on an array in
    the graph, which our ``__array__`` refuses loudly instead of losing the gradient;
``"in-place on saved"``
    the library writes in place into an array that the tape saved for backward and our
    backward raised where torch's raised too (the tape keeps old values, so no case
    expects it; where torch raises, :func:`reference` copies its saved tensors);
``"returns a Python float"``
    the result leaves the array world (``float(...)``), so there is nothing to
    differentiate, on torch as here;
``"missing: NAME"``
    our namespace lacks a function the library calls (a gap of ours);
``"mismatch"`` / ``"error"``
    anything else (a wrong value or gradient, an unexpected exception).

The same module feeds ``tests/integration/test_libraries.py`` (which asserts each
case's expected status) and the compatibility table of the documentation
(``docs/conf.py`` runs :func:`table` at build time).
"""

from __future__ import annotations

import os

os.environ.setdefault("SCIPY_ARRAY_API", "1")  # must precede the first scipy import

import dataclasses
import re
import warnings
from typing import Callable

import numpy as np

BACKENDS = ("numpy", "torch", "array_api_strict")


@dataclasses.dataclass(frozen=True)
class Case:
    """One library function applied to differentiable inputs.

    Attributes
    ----------
    library : str
        ``"scipy"``, ``"array-api-extra"`` or ``"scikit-learn"``.
    name : str
        The public name, as a user would write it (``"scipy.special.logsumexp"``).
    fn : callable
        ``fn(*arrays)`` calls the library; the arrays are ours or torch tensors.
    shapes : tuple of tuple
        One shape per differentiable input (float64, standard normal samples).
    domain : callable, optional
        ``domain(numpy_array) -> numpy_array`` moves samples into the valid domain.
    expect : str or dict
        The expected :class:`Outcome` status, per backend when a dict.
    why : str
        Why the status is not ``"ok"`` (shown in the documentation table).
    call : str
        How the function is called, when it matters (shown next to the name).
    reference : callable, optional
        A torch function giving the reference instead of ``fn`` on torch tensors, for
        library code whose own torch path cannot be differentiated.
    """

    library: str
    name: str
    fn: Callable
    shapes: tuple = ((4, 3),)
    domain: Callable | None = None
    expect: str | dict = "ok"
    why: str = ""
    call: str = ""
    reference: Callable | None = None


    def expected(self, backend: str) -> str:
        if isinstance(self.expect, dict):
            return self.expect.get(backend, self.expect.get("*", "ok"))
        return self.expect

    @property
    def id(self) -> str:
        return self.name + (f"[{self.call}]" if self.call else "")


@dataclasses.dataclass
class Outcome:
    status: str
    detail: str = ""


def _positive(a):
    return np.abs(a) + 0.5


def _unit(a):  # in (0, 1)
    return 1.0 / (1.0 + np.exp(-a))


# ---------------------------------------------------------------------------
# The libraries, imported lazily (SciPy must see SCIPY_ARRAY_API first)
# ---------------------------------------------------------------------------

def _scipy_cases():
    import scipy.integrate as si
    import scipy.special as sp
    import scipy.stats as st

    numpy_only = "SciPy converts the input with numpy.asarray and calls compiled code " \
                 "(its array API path is native only for NumPy, CuPy, PyTorch, JAX, Dask)"
    return [
        Case("scipy", "scipy.special.logsumexp", lambda x: sp.logsumexp(x, axis=1),
             call="axis=1"),
        Case("scipy", "scipy.special.logsumexp", lambda x, b: sp.logsumexp(x, b=b),
             shapes=((4, 3), (4, 3)), domain=_positive, call="b=weights"),
        Case("scipy", "scipy.special.softmax", lambda x: sp.softmax(x, axis=1)),
        Case("scipy", "scipy.special.log_softmax", lambda x: sp.log_softmax(x, axis=1)),
        Case("scipy", "scipy.special.xlogy", lambda x, y: sp.xlogy(x, y),
             shapes=((4, 3), (4, 3)), domain=_positive),
        Case("scipy", "scipy.special.rel_entr", lambda x, y: sp.rel_entr(x, y),
             shapes=((4, 3), (4, 3)), domain=_positive),
        Case("scipy", "scipy.special.entr", sp.entr, domain=_positive,
             expect="converts to NumPy", why=numpy_only),
        Case("scipy", "scipy.special.expit", sp.expit,
             expect="converts to NumPy", why=numpy_only),
        Case("scipy", "scipy.special.erf", sp.erf,
             expect="converts to NumPy", why=numpy_only),
        Case("scipy", "scipy.stats.moment", lambda x: st.moment(x, order=3, axis=0),
             call="order=3"),
        Case("scipy", "scipy.stats.skew", lambda x: st.skew(x, axis=0)),
        Case("scipy", "scipy.stats.kurtosis", lambda x: st.kurtosis(x, axis=0)),
        Case("scipy", "scipy.stats.zscore", lambda x: st.zscore(x, axis=0)),
        Case("scipy", "scipy.stats.variation", lambda x: st.variation(x, axis=0),
             domain=_positive),
        Case("scipy", "scipy.stats.sem", lambda x: st.sem(x, axis=0)),
        Case("scipy", "scipy.stats.gmean", lambda x: st.gmean(x, axis=0), domain=_positive),
        Case("scipy", "scipy.stats.hmean", lambda x: st.hmean(x, axis=0), domain=_positive),
        Case("scipy", "scipy.stats.pmean", lambda x: st.pmean(x, 2.5, axis=0),
             domain=_positive, call="p=2.5"),
        Case("scipy", "scipy.stats.entropy", lambda x: st.entropy(x, axis=0),
             domain=_positive, expect="converts to NumPy",
             why="calls scipy.special.entr, compiled code reached through numpy.asarray"),
        Case("scipy", "scipy.integrate.trapezoid", lambda y: si.trapezoid(y, axis=0)),
        Case("scipy", "scipy.integrate.simpson", lambda y: si.simpson(y, axis=0),
             shapes=((5, 3),), expect="converts to NumPy",
             why="NumPy-only in this SciPy: it starts with y = np.asarray(y)"),
    ]


def _xpx_cases():
    import array_api_extra as xpx

    return [
        Case("array-api-extra", "xpx.cov", xpx.cov),
        Case("array-api-extra", "xpx.sinc", xpx.sinc),
        Case("array-api-extra", "xpx.kron", xpx.kron, shapes=((2, 3), (3, 2))),
        Case("array-api-extra", "xpx.pad", lambda x: xpx.pad(x, 2), call="pad_width=2"),
        Case("array-api-extra", "xpx.expand_dims", lambda x: xpx.expand_dims(x, axis=(0, 2))),
        Case("array-api-extra", "xpx.atleast_nd", lambda x: xpx.atleast_nd(x, ndim=4)),
        Case("array-api-extra", "xpx.create_diagonal", xpx.create_diagonal, shapes=((4,),)),
        Case("array-api-extra", "xpx.at", lambda x, v: xpx.at(x * 1.0)[1:3, :].set(v[0, :]),
             shapes=((4, 3), (2, 3)), call="set"),
        Case("array-api-extra", "xpx.at", lambda x, v: xpx.at(x * 1.0)[1:3, :].add(v[0, :]),
             shapes=((4, 3), (2, 3)), call="add"),
        Case("array-api-extra", "xpx.at", lambda x, v: xpx.at(x * 1.0)[1:3, :].multiply(v[0, :]),
             shapes=((4, 3), (2, 3)), call="multiply"),
        Case("array-api-extra", "xpx.apply_where",
             lambda x: xpx.apply_where(x > 0, x, lambda v: v * v, fill_value=0.0)),
        Case("array-api-extra", "xpx.nan_to_num", xpx.nan_to_num),
        Case("array-api-extra", "xpx.deg2rad", xpx.deg2rad),
        Case("array-api-extra", "xpx.nansum", lambda x: xpx.nansum(x, axis=0)),
        Case("array-api-extra", "xpx.nanmean", lambda x: xpx.nanmean(x, axis=0)),
        Case("array-api-extra", "xpx.nanmax", lambda x: xpx.nanmax(x, axis=0)),
        Case("array-api-extra", "xpx.partition", lambda x: xpx.partition(x, 1, axis=0),
             call="kth=1",
             # its torch path writes in place into a saved mask, so torch.autograd
             # cannot differentiate it; the generic path sorts, so compare with sort
             reference=lambda x: __import__("torch").sort(x, dim=0).values),
    ]


def _sklearn_cases():
    import sklearn
    from sklearn import decomposition, metrics, preprocessing
    from sklearn.metrics import pairwise

    def case(name, f, **kwargs):  # array API dispatch on, for this call only
        def call(*arrays):
            with sklearn.config_context(array_api_dispatch=True):
                return f(*arrays)
        return Case("scikit-learn", name, call, **kwargs)

    def raw(metric):
        return lambda y, p: metric(y, p, multioutput="raw_values")

    def fitted(estimator):  # fitted on constants, differentiated through transform
        return lambda x: estimator.fit(x.detach()).transform(x)

    two = ((4, 3), (4, 3))
    each = "multioutput='raw_values'"
    fit = "fit(x.detach()).transform(x)"
    return [
        case("sklearn.metrics.r2_score", raw(metrics.r2_score), shapes=two, call=each),
        case("sklearn.metrics.r2_score", metrics.r2_score, shapes=two,
             expect="returns a Python float",
             why="the default multioutput='uniform_average' returns float(...), on torch too"),
        case("sklearn.metrics.mean_squared_error", raw(metrics.mean_squared_error),
             shapes=two, call=each),
        case("sklearn.metrics.mean_absolute_error", raw(metrics.mean_absolute_error),
             shapes=two, call=each),
        case("sklearn.metrics.explained_variance_score",
             raw(metrics.explained_variance_score), shapes=two, call=each),
        case("sklearn.metrics.pairwise.linear_kernel", pairwise.linear_kernel, shapes=two),
        case("sklearn.metrics.pairwise.polynomial_kernel", pairwise.polynomial_kernel,
             shapes=two),
        case("sklearn.metrics.pairwise.sigmoid_kernel", pairwise.sigmoid_kernel, shapes=two),
        case("sklearn.metrics.pairwise.rbf_kernel", pairwise.rbf_kernel, shapes=two),
        case("sklearn.metrics.pairwise.cosine_similarity", pairwise.cosine_similarity,
             shapes=two),
        case("sklearn.metrics.pairwise.euclidean_distances", pairwise.euclidean_distances,
             shapes=((4, 3), (5, 3))),
        case("sklearn.preprocessing.normalize", preprocessing.normalize),
        case("sklearn.preprocessing.MinMaxScaler", fitted(preprocessing.MinMaxScaler()),
             call=fit),
        case("sklearn.preprocessing.StandardScaler", fitted(preprocessing.StandardScaler()),
             call=fit),
        case("sklearn.preprocessing.MaxAbsScaler", fitted(preprocessing.MaxAbsScaler()),
             call=fit),
        case("sklearn.decomposition.PCA", fitted(decomposition.PCA(2, svd_solver="full")),
             shapes=((6, 3),), call=fit),
    ]


_LIBRARIES = {"scipy": _scipy_cases, "array-api-extra": _xpx_cases,
              "scikit-learn": _sklearn_cases}


def cases(library: str | None = None) -> list:
    """The cases of one library (or all), skipping libraries that are not installed."""
    out = []
    for name, make in _LIBRARIES.items():
        if library not in (None, name):
            continue
        try:
            out.extend(make())
        except ImportError:
            if library is not None:
                raise
    return out


# Known defects of ours that a case exposes.  The tests mark them strict xfail (a fix is
# noticed, and its entry must then be removed); the documentation table shows them.
KNOWN_BUGS: dict = {}


def known_bug(case: Case, backend: str) -> str | None:
    """The reason of a known defect of ours for this case and backend, if any."""
    return KNOWN_BUGS.get((case.id, backend)) or KNOWN_BUGS.get((case.id, "*"))


# ---------------------------------------------------------------------------
# The runner
# ---------------------------------------------------------------------------

RTOL, ATOL = 1e-6, 1e-9


def _samples(case: Case):
    rng = np.random.default_rng(_seed(case.id))
    arrays = [rng.standard_normal(shape) for shape in case.shapes]
    if case.domain is not None:
        arrays = [case.domain(a) for a in arrays]
    return arrays, rng


def _seed(text: str) -> int:
    return sum((i + 1) * ord(c) for i, c in enumerate(text)) % 2**32


def _first(y):
    return y[0] if isinstance(y, tuple) else y


def reference(case: Case):
    """Run the case on torch tensors under torch.autograd: (value, grads, cotangent).

    Where the library writes in place into a value torch saved for backward (torch
    raises there), the reference is the same code with every saved value copied when
    it is saved (``torch.autograd.graph.saved_tensors_hooks``): the gradient of the
    function as written, which ours must give (its tape keeps the old values).
    """
    import torch

    try:
        return _reference(case)
    except RuntimeError as exc:
        if "modified by an inplace operation" not in str(exc):
            raise
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t.clone(), lambda t: t):
        return _reference(case)


def _reference(case: Case):
    import torch

    arrays, rng = _samples(case)
    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    y = _first((case.reference or case.fn)(*tensors))
    if not isinstance(y, torch.Tensor):
        return y, None, None
    ct = rng.standard_normal(tuple(y.shape))
    grads = torch.autograd.grad((y * torch.tensor(ct)).sum(), tensors, allow_unused=True)
    grads = [None if g is None else g.numpy() for g in grads]
    return y.detach().numpy(), grads, ct


def _missing_name(exc: Exception) -> str | None:
    m = re.search(r"module 'arrayapi_autograd[^']*' has no attribute '(\w+)'", str(exc))
    return m.group(1) if m else None


def run(case: Case, backend: str) -> Outcome:
    """Differentiate ``case`` on the wrapped ``backend``; compare with :func:`reference`."""
    import arrayapi_autograd as aa

    xp = aa.namespace(backend)
    arrays, rng = _samples(case)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            ref_value, ref_grads, ct = reference(case)
            ref_error = None
        except Exception as exc:  # the reference itself may raise (in-place, see below)
            ref_value = ref_grads = ct = None
            ref_error = exc
        xs = [xp.asarray(a) for a in arrays]
        for x in xs:
            x.requires_grad_()
        try:
            y = _first(case.fn(*xs))
            if not isinstance(y, aa.Array):
                if isinstance(y, float) and isinstance(ref_value, float):
                    return Outcome("returns a Python float", f"{y!r}")
                return Outcome("error", f"returned {type(y).__name__}")
            if ct is None:  # the reference raised: the same draws, for our output's shape
                ct = rng.standard_normal(y.shape)
            grads = aa.autograd.grad(xp.sum(y * xp.asarray(ct)), xs, allow_unused=True)
        except AttributeError as exc:
            name = _missing_name(exc)
            if name:
                return Outcome(f"missing: {name}", str(exc))
            return Outcome("error", f"{type(exc).__name__}: {exc}")
        except RuntimeError as exc:
            text = str(exc)
            if "Call .detach() first" in text:
                return Outcome("converts to NumPy", text)
            if "modified by an in-place operation" in text:
                if ref_error is not None and "modified by an inplace operation" in str(ref_error):
                    return Outcome("in-place on saved", text)
                return Outcome("error", f"in-place error that torch does not raise: {text}")
            return Outcome("error", f"RuntimeError: {text}")
        except Exception as exc:
            return Outcome("error", f"{type(exc).__name__}: {exc}")
    if ref_error is not None:
        return Outcome("error", f"the torch reference raised {ref_error!r} but we did not")
    value = np.asarray(y.detach())
    if value.shape != ref_value.shape or not np.allclose(value, ref_value, RTOL, ATOL,
                                                          equal_nan=True):
        return Outcome("mismatch", f"values differ: {value} vs torch {ref_value}")
    for i, (g, r) in enumerate(zip(grads, ref_grads)):
        g = None if g is None else np.asarray(g)
        if r is None or g is None:
            if (r is None) != (g is None) and not np.all((r if g is None else g) == 0):
                return Outcome("mismatch", f"gradient {i}: {g} vs torch {r}")
            continue
        if g.shape != r.shape or not np.allclose(g, r, RTOL, ATOL, equal_nan=True):
            err = np.max(np.abs(g - r)) if g.shape == r.shape else "shape"
            return Outcome("mismatch", f"gradient {i} differs from torch (max |diff| {err})")
    return Outcome("ok")


def table(backends=BACKENDS) -> list:
    """Run every case on every backend: rows of (case, {backend: Outcome})."""
    return [(case, {b: run(case, b) for b in backends}) for case in cases()]


if __name__ == "__main__":  # python tests/integration/_cases.py: a quick text table
    for case, outcomes in table():
        cells = "  ".join(f"{b}={o.status}" for b, o in outcomes.items())
        print(f"{case.id:60s} {cells}")
        for b, o in outcomes.items():
            if o.status in ("error", "mismatch"):
                print(f"    {b}: {o.detail[:300]}")

"""Tests of the harness itself: broken rules are caught and reported, nothing crashes."""

from __future__ import annotations

import fnmatch
import json

import numpy as np
import pytest

from arrayapi_autograd import Namespace

from . import backends, special_values
from .checks import Session, checks_for
from .faults import broken_sin, structural_zero_as_product
from .opinfos._core import OpInfo, Sample
from .report import main

NUMPY = backends.Backend.NUMPY.load()
TORCH = backends.Backend.TORCH.load()


SIN = OpInfo("sin", dtypes=("float64",))


@pytest.mark.parametrize("which, failing", [
    # jvp: the identity <ct, Jt> = <J^T ct, t>; special: the special values' gradients
    ("vjp", {"vjp", "jvp", "grad2", "fd", "special"}),
    ("jvp", {"jvp"}),
])
def test_broken_rule_is_reported(which, failing):
    session = Session([NUMPY, TORCH], max_examples=3)
    with broken_sin(which):
        outcomes = {c: session.run(SIN, NUMPY, "float64", c)
                    for c in checks_for(SIN, "float64")}
    assert {c for c, o in outcomes.items() if o.failed} == failing
    o = outcomes[next(iter(sorted(failing)))]
    assert o.sample and "array(shape=" in o.sample
    assert o.headline().startswith(f"FAILED sin [numpy, float64] {o.check}:")
    assert "input:" in o.headline()


def test_correct_rule_passes_with_small_errors():
    session = Session([NUMPY, TORCH], max_examples=3)
    for check in checks_for(SIN, "float64"):
        o = session.run(SIN, TORCH, "float64", check)
        assert o.status == "pass", o.headline()
        assert o.examples == (1 if check == "special" else 3)  # one special-value sample
        assert o.error is not None and o.error <= 1e-9


def test_exception_in_an_op_is_a_failure_not_a_crash():
    def explode(xp, x):  # only ours raises: the backend's own function accepts the input
        if isinstance(xp, Namespace):
            raise ZeroDivisionError("boom")
        return xp.sin(x)

    info = OpInfo("sin", call=explode, dtypes=("float64",))
    o = Session([NUMPY], 2).run(info, NUMPY, "float64", "vjp")
    assert o.status == "fail" and "ZeroDivisionError: boom" in o.message


def test_input_the_backend_rejects_is_skipped():
    def picky(xp, x):
        return xp.sin(x) if isinstance(xp, Namespace) else 1 / 0

    o = Session([NUMPY], 2).run(OpInfo("sin", call=picky), NUMPY, "float64", "vjp")
    assert o.status == "skip" and "rejects every sample" in o.message


def test_bad_sampler_is_a_failure():
    info = OpInfo("sin", family="custom", sample=lambda draw: 1 / 0)
    o = Session([NUMPY], 2).run(info, NUMPY, "float64", "forward")
    assert o.status == "fail" and "drawing samples failed" in o.message


def test_expected_failures():
    session = Session([NUMPY, TORCH], 2)
    with broken_sin("vjp"):
        info = OpInfo("sin", dtypes=("float64",), xfail={"vjp": "known: 1% off"})
        assert session.run(info, NUMPY, "float64", "vjp").status == "xfail"
    info = OpInfo("sin", dtypes=("float64",), xfail={"vjp:numpy": "wrongly expected"})
    assert Session([NUMPY, TORCH], 2).run(info, NUMPY, "float64", "vjp").status == "xpass"


def test_nondifferentiable_record_must_not_record():
    info = OpInfo("equal", family="binary", differentiable=False)
    assert Session([NUMPY], 2).run(info, NUMPY, "float64", "not_recorded").status == "pass"
    # sin is recorded, so a record claiming it is not differentiable fails
    info = OpInfo("sin", differentiable=False)
    o = Session([NUMPY], 2).run(info, NUMPY, "float64", "not_recorded")
    assert o.status == "fail" and "recorded" in o.message


def test_unavailable_backend_is_skipped_with_reason():
    target = backends.load("no_such_module_for_conformance")
    assert not target.available and "no_such_module_for_conformance" in target.reason
    o = Session([NUMPY, target], 2).run(SIN, target, "float64", "vjp")
    assert o.status == "skip" and "unavailable" in o.message


def test_report_cli(tmp_path):
    # a module name that is no enum member: loaded as a third-party namespace
    code = main(["--ops", "__neg__,sin", "--backend", "numpy", "--backend",
                 "array_api_compat.numpy", "--max-examples", "2", "--dtype", "float64",
                 "--output", str(tmp_path)])
    assert code == 0
    report = json.loads((tmp_path / "conformance-report.json").read_text())
    assert {r["backend"] for r in report["results"]} == {"numpy", "array_api_compat.numpy"}
    assert all(r["status"] == "pass" for r in report["results"])
    text = (tmp_path / "conformance-report.md").read_text()
    assert "| `sin` |" in text and "| `__neg__` |" in text


def test_report_cli_fails_on_broken_rule(tmp_path):
    with broken_sin("vjp"):
        code = main(["--ops", "sin", "--backend", "numpy", "--max-examples", "2",
                     "--dtype", "float64", "--checks", "vjp", "--output", str(tmp_path)])
    assert code == 1
    text = (tmp_path / "conformance-report.md").read_text()
    assert "### sin [numpy, float64] vjp" in text and "First failing input" in text


def test_skipped_dtype_is_a_skip_unless_asked_for():
    target = backends.Backend.NUMPY.load()
    target.skipped_dtypes = {"float32": "a reason"}
    info = OpInfo("sin", dtypes=("float64", "float32"))
    o = Session([target], 2).run(info, target, "float32", "vjp")
    assert o.status == "skip" and "a reason" in o.message and "--dtype float32" in o.message
    assert Session([target], 2, ["float32"]).run(info, target, "float32", "vjp").status == "pass"
    assert Session([target], 2).run(info, target, "float64", "vjp").status == "pass"


def test_sample_rejected_when_a_lazy_result_is_computed():
    # a backend whose function raises only when its result is computed (Dask)
    class Lazy:
        shape, dtype = (), "float64"

    def convert(raw):
        raise ValueError("refused at compute time")

    target = backends.Backend.NUMPY.load()
    target.to_numpy_fn = convert
    info = OpInfo("sin", dtypes=("float64",), call=lambda xp, x: Lazy())
    o = Session([target], 2).run(info, target, "float64", "forward")
    assert o.status == "skip" and "refused at compute time" in o.message


@pytest.mark.parametrize("argv, named", [
    (["--backend", "numpyy"], "'numpyy'"),
    (["--backend", "numpy", "--backend", "no_such_module_for_conformance"],
     "'no_such_module_for_conformance'"),
    (["--dtype", "float99"], "'float99'"),
    (["--backend", "numpy", "--dtype", "int64"], "--dtype int64"),
    (["--backend", "numpy", "--checks", "nosuchcheck"], "nosuchcheck"),
])
def test_report_cli_asked_for_what_cannot_run_is_exit_2(tmp_path, capsys, argv, named):
    """A backend, dtype or check named on the command line that cannot run is an error.

    The message names it and says what to do; no report is written, since nothing
    (or not what was asked) was checked.
    """
    code = main(["--ops", "sin", "--max-examples", "1", "--output", str(tmp_path), *argv])
    out = capsys.readouterr().err
    assert code == 2, out
    error = out[out.index("error: "):]
    assert named in error
    assert any(fix in error for fix in ("choose among", "install", "Widen", "spelling"))
    assert not (tmp_path / "conformance-report.md").exists()
    assert not (tmp_path / "conformance-report.json").exists()


def test_report_cli_missing_gpu_backend_named_is_exit_2(tmp_path, capsys):
    target = backends.load("cupy")
    if target.available:
        pytest.skip("CuPy runs here: nothing to refuse")
    code = main(["--ops", "sin", "--backend", "cupy", "--output", str(tmp_path)])
    out = capsys.readouterr().err
    assert code == 2 and "backend 'cupy' was asked for but cannot run here" in out
    assert "leave out --backend cupy" in out


def test_report_cli_skips_a_default_backend_with_the_reason(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(backends, "DEFAULT_BACKENDS", ("numpy", "no_such_module_for_conformance"))
    code = main(["--ops", "sin", "--max-examples", "1", "--dtype", "float64",
                 "--output", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0
    assert "skipping default backend no_such_module_for_conformance: cannot import" in out
    text = (tmp_path / "conformance-report.md").read_text()
    assert "## Backends not run" in text and "| `sin` | pass " in text


def test_report_cli_with_only_unavailable_defaults_is_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(backends, "DEFAULT_BACKENDS", ("no_such_module_for_conformance",))
    code = main(["--ops", "sin", "--output", str(tmp_path)])
    assert code == 2 and "no backend can run here" in capsys.readouterr().err
    assert not (tmp_path / "conformance-report.md").exists()


def test_report_cli_output_fits_80_columns_when_not_a_terminal(tmp_path, capsys):
    """In a pipe or a log every op x backend result is one unwrapped line."""
    ops = "sin,isnan,linalg.matrix_norm,__truediv__"
    backends_run = ["numpy", "torch", "array_api_strict"]
    code = main(["--ops", ops, "--max-examples", "1", "--dtype", "float64", "--output",
                 str(tmp_path), *[a for b in backends_run for a in ("--backend", b)]])
    out = capsys.readouterr().out
    assert code == 0, out
    assert all(len(line) <= 80 for line in out.splitlines()
               if not line.startswith("wrote ")), out  # the paths are the caller's
    for op in ops.split(","):
        for backend in backends_run:
            (line,) = [ln for ln in out.splitlines() if ln.split()[:2] == [op, backend]]
            assert line.split()[2] == "pass"
            if op == "isnan":  # no gradient to check: a bare pass
                assert line.split()[2:] == ["pass"]
            else:  # the worst relative error against PyTorch
                assert float(line.split()[3]) < 1e-12


def test_report_legend_explains_a_bare_pass(tmp_path):
    assert main(["--ops", "isnan,sin", "--backend", "numpy", "--max-examples", "1",
                 "--output", str(tmp_path)]) == 0
    text = (tmp_path / "conformance-report.md").read_text()
    assert "a bare `pass` means the function has no gradient to check" in text
    assert "| `isnan` | pass |" in text
    assert "| `sin` | pass " in text and "| `sin` | pass |" not in text


@pytest.mark.parametrize("op", ["unique_values", "unique_all"])
@pytest.mark.parametrize("check", ["vjp", "jvp"])
def test_expected_failure_quotes_the_evidence_it_shows(op, check):
    """Each phrase a reason quotes ("...") is in the message of the failure it excuses."""
    import re

    from .opinfos import BY_NAME

    info = BY_NAME[op]
    o = Session([NUMPY], 2).run(info, NUMPY, "float64", check)
    assert o.status == "xfail", o.message
    reason, evidence = o.message.split(" [raised ", 1)
    quoted = re.findall(r'"([^"]+)"', reason)
    assert quoted, reason
    for phrase in quoted:
        assert phrase in evidence, (phrase, evidence)


# ---------------------------------------------------------------------------
# the special-value check and its list of documented differences
# ---------------------------------------------------------------------------

COPYSIGN = OpInfo("copysign", "binary", dtypes=("float64",))


def test_special_check_catches_a_product_with_a_structural_zero():
    assert Session([NUMPY], 1).run(COPYSIGN, NUMPY, "float64", "special").status == "pass"
    with structural_zero_as_product():
        o = Session([NUMPY], 1).run(COPYSIGN, NUMPY, "float64", "special")
    assert o.status == "fail", o.headline()
    assert "undocumented" in o.message and "grad 1" in o.message
    assert "ours [nan" in o.message and "torch [0." in o.message


def _documented(monkeypatch, *differences):
    monkeypatch.setattr(special_values, "DIFFERENCES", tuple(differences))


def test_a_documented_difference_is_reported_with_its_evidence(monkeypatch):
    _documented(monkeypatch, special_values.Difference(
        "copysign", "pairs of special values", "grad", "convention", index=1,
        where=lambda p: ~np.isfinite(p.ct), reason="a test", evidence="a test"))
    with structural_zero_as_product():
        o = Session([NUMPY], 1).run(COPYSIGN, NUMPY, "float64", "special")
    assert o.status == "documented", o.headline()
    (detail,) = [d for d in o.details if d["status"] == "observed"]
    assert detail["difference"] == "copysign [pairs of special values] grad 1"
    assert "ours [nan" in detail["evidence"][0]


def test_a_documented_difference_covers_only_its_entries(monkeypatch):
    # documented for the infinite cotangents only: the NaN ones still fail
    _documented(monkeypatch, special_values.Difference(
        "copysign", "pairs of special values", "grad", "convention", index=1,
        where=lambda p: np.isinf(p.ct), reason="a test", evidence="a test"))
    with structural_zero_as_product():
        o = Session([NUMPY], 1).run(COPYSIGN, NUMPY, "float64", "special")
    assert o.status == "fail" and "undocumented" in o.message


def test_a_documented_difference_that_does_not_occur_fails(monkeypatch):
    stale = dict(op="copysign", sample="pairs of special values", part="grad",
                 reason="a test", evidence="a test")
    _documented(monkeypatch, special_values.Difference(kind="convention", **stale))
    o = Session([NUMPY], 1).run(COPYSIGN, NUMPY, "float64", "special")
    assert o.status == "xpass" and "did not occur" in o.message
    # unless it is the subject of work on another branch
    _documented(monkeypatch, special_values.Difference(kind="pending", **stale))
    o = Session([NUMPY], 1).run(COPYSIGN, NUMPY, "float64", "special")
    assert o.status == "pass"
    assert [d["status"] for d in o.details] == ["fixed"]


def test_raising_on_both_sides_is_agreement():
    info = OpInfo("linalg.inv", "custom", dtypes=("float64",), sample=lambda draw: None,
                  edges=lambda: [Sample((np.zeros((2, 2)),), label="zero")])
    o = Session([NUMPY], 1).run(info, NUMPY, "float64", "special")
    assert o.status == "pass", o.headline()
    assert [d["status"] for d in o.details] == ["both raise"]


def test_every_documented_difference_names_a_special_sample():
    """Each entry of special_values.DIFFERENCES matches a record with special-value
    samples and one of their labels (a renamed sample would leave it dangling)."""
    from .opinfos import ALL_OPINFOS

    for d in special_values.DIFFERENCES:
        labels = [s.label for info in ALL_OPINFOS if fnmatch.fnmatchcase(info.name, d.op)
                  for s in info.edge_samples()]
        assert any(fnmatch.fnmatchcase(label, d.sample) for label in labels), d.key
        assert d.reason and d.evidence, d.key


def test_report_has_the_special_values_column_and_section(tmp_path):
    code = main(["--ops", "sign,copysign", "--backend", "numpy", "--max-examples", "1",
                 "--dtype", "float64", "--output", str(tmp_path)])
    assert code == 0
    text = (tmp_path / "conformance-report.md").read_text()
    assert "| special values |" in text and "## Special values" in text
    assert "#### `sign [special values] value` (backend-value; observed)" in text
    assert "documented 1 (1 backends)" in text and "agree (1 backends)" in text

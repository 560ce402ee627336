"""Smoke test of ``benchmarks/``: every workload runs once at a tiny size.

No timing is asserted (the machine is shared); each available library must
return finite positive numbers, and its gradients (Hessians, forward values)
must agree with the reference (the hand-written NumPy floor, or the bare
backend for the forward-only workload).  Peers that are not installed are
skipped by the runner with a note, which is checked too.
"""

from __future__ import annotations

import math
import pathlib
import sys

import pytest

# benchmarks/ is a top-level folder of the repository, not an installed package.
sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from benchmarks import run
from benchmarks._libraries import all_libraries
from benchmarks.workloads import WORKLOADS


@pytest.fixture(scope="module")
def results():
    return run(repeats=1, quick=True)


@pytest.mark.parametrize("key", list(WORKLOADS))
def test_workload_runs_and_agrees(results, key):
    (wr,) = [r for r in results.workloads if r.workload.key == key]
    assert wr.mismatches == {}
    assert "ours-numpy" in wr.rows and "ours-torch" in wr.rows
    for name in wr.workload.libraries:
        assert name in wr.rows or name in wr.notes, name
    for name, row in wr.rows.items():
        for metric in wr.workload.metrics:
            if metric.key.startswith("mem_"):
                continue  # memory only where the method applies (see workloads.py)
            if metric.key.startswith("fwd_") and name.startswith("jax"):
                continue  # jitted JAX compiles forward and VJP as one: no forward alone
            value = row.get(metric.key)
            assert value is not None and math.isfinite(value) and value > 0, (name, metric.key)
    assert wr.targets == []  # a smoke run judges no target


def test_missing_peers_are_skipped_with_a_note(results):
    for lib in all_libraries():
        if getattr(lib, "_unavailable", None):
            for wr in results.workloads:
                if lib.name in wr.workload.libraries:
                    assert lib.name in wr.notes and lib.name not in wr.rows


def test_report_is_written(results, tmp_path):
    from benchmarks import _report

    paths = _report.write(results, str(tmp_path))
    text = (tmp_path / "results.md").read_text()
    assert "ours-numpy" in text
    # a smoke run says so, judges nothing, and titles each workload with the sizes it ran
    assert "Smoke run (--quick)" in text and "## Targets" not in text
    assert "## (b) One SGD step of an MLP 32-16-16-10" in text and "batch 8," in text
    assert "## (c) 10 elementwise ops on 10^4 float64" in text
    assert "## (d) Hessian of a scalar function of 5 variables" in text
    assert "R^8 -> R^3" in text and "R^3 -> R^8" in text
    # (the full sizes' words: a bare "784" can be the digits of a measured time)
    assert "784-512" not in text and "10^7" not in text and "50 variables" not in text
    assert all((tmp_path / p.rsplit("/", 1)[1]).exists() for p in paths)


@pytest.mark.parametrize("key", ["f", "g"])
def test_jacobians_are_batched(results, key):
    """Our Jacobian workloads run one batched pass: no op falls back to a loop over rows."""
    (wr,) = [r for r in results.workloads if r.workload.key == key]
    for name in ("ours-numpy", "ours-torch"):
        assert "looped" not in wr.notes.get(name, ""), wr.notes[name]
    assert "ours-rows" in wr.rows and "vs_rows" in wr.rows["ours-numpy"]


def test_titles_of_a_full_run_show_the_full_sizes():
    titles = {key: w.title_for(False) for key, w in WORKLOADS.items()}
    assert titles["b"].startswith("One SGD step of an MLP 784-512-512-10")
    assert "batch 256" in titles["b"]
    assert titles["c"].startswith("10 elementwise ops on 10^7 float64")
    assert titles["d"] == "Hessian of a scalar function of 50 variables"
    assert "R^200 -> R^20" in titles["f"] and "R^20 -> R^200" in titles["g"]


def test_targets_are_judged_on_a_full_run():
    from benchmarks._runner import evaluate_target
    from benchmarks.workloads import WORKLOADS

    (per_op_autograd, per_op_torch, forward_torch) = WORKLOADS["a"].targets
    rows = {"ours-numpy": {"us_per_op": 6.0, "fwd_us_per_op": 2.0},
            "autograd": {"us_per_op": 10.0}, "torch": {"us_per_op": 5.0, "fwd_us_per_op": 2.5}}
    assert evaluate_target(per_op_autograd, rows)[1:] == (0.6, 0.5, False)
    assert evaluate_target(per_op_torch, rows)[1:] == (1.2, 1.0, False)
    assert evaluate_target(forward_torch, rows)[1:] == (0.8, 1.0, True)
    rows["ours-numpy"]["us_per_op"] = 4.0
    assert evaluate_target(per_op_autograd, rows)[3] and evaluate_target(per_op_torch, rows)[3]
    assert evaluate_target(per_op_torch, {"ours-numpy": {"us_per_op": 4.0}})[1] is None


def test_main_writes_outside_the_docs_by_default(tmp_path, monkeypatch, capsys):
    """The command leaves the committed results alone; --write-docs refuses a partial run."""
    import benchmarks.__main__ as cli

    docs = pathlib.Path(cli.ROOT) / "docs" / "benchmarks"
    before = {p.name: p.read_bytes() for p in docs.iterdir() if p.is_file()}
    monkeypatch.chdir(tmp_path)
    assert cli.main(["--quick", "--repeats", "1", "--workloads", "d",
                     "--libraries", "ours-numpy,numpy"]) == 0
    text = (tmp_path / "benchmark-results" / "results.md").read_text()
    assert "Hessian of a scalar function of 5 variables" in text
    assert {p.name: p.read_bytes() for p in docs.iterdir() if p.is_file()} == before
    for argv in (["--quick"], ["--workloads", "d"], ["--libraries", "numpy"]):
        with pytest.raises(SystemExit) as exc:
            cli.main(["--write-docs", *argv])
        assert exc.value.code == 2
        assert "--write-docs replaces the documentation's results" in capsys.readouterr().err


@pytest.mark.parametrize("take", ["rows", "sums"])
def test_dask_scale_runs_at_a_tiny_size(take):
    """The Dask-at-scale benchmark's computation, at 40 x 40 on an in-process cluster:
    the gradient computed by the workers equals the NumPy namespace's."""
    pytest.importorskip("distributed", reason="dask.distributed is not installed")
    from benchmarks import dask_scale

    x, v, idx = dask_scale._inputs(40, 3, 5, 10)
    # in-process workers without a memory limit (a limit would watch the whole pytest process)
    seconds, lazy, survived, spilled = dask_scale.run_dask(x, v, idx, take, workers=2,
                                                           memory_limit=0, processes=False)
    eager_seconds, eager, _ = dask_scale.run_numpy(x, v, idx, take)
    assert survived and seconds > 0 and eager_seconds > 0 and spilled == 0
    assert [r.shape for r in lazy] == [(), (40, 3), (), ()]
    assert dask_scale.agree(lazy, eager, rtol=1e-12)
    assert float(eager[3]) > 0  # the gradient of x is not zero

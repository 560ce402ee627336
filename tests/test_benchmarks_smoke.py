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
            value = row.get(metric.key)
            assert value is not None and math.isfinite(value) and value > 0, (name, metric.key)
    for text, value, bound, ok in wr.targets:
        assert bound > 0 and (value is None or math.isfinite(value)), text


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
    assert "## Targets" in text and "ours-numpy" in text
    assert all((tmp_path / p.rsplit("/", 1)[1]).exists() for p in paths)


@pytest.mark.parametrize("key", ["f", "g"])
def test_jacobians_are_batched(results, key):
    """Our Jacobian workloads run one batched pass: no op falls back to a loop over rows."""
    (wr,) = [r for r in results.workloads if r.workload.key == key]
    for name in ("ours-numpy", "ours-torch"):
        assert "looped" not in wr.notes.get(name, ""), wr.notes[name]
    assert "ours-rows" in wr.rows and "vs_rows" in wr.rows["ours-numpy"]

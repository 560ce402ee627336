"""``python -m conformance_tests.consumers`` on a tiny selection: its counts are real.

The command runs one test module of array-api-extra (filtered with ``-k``) with our
namespaces beside the suite's controls.  Its control counts must equal those of a
plain pytest run of the same tests through the suite's own fixtures (no plugin of
ours), and every collected test of ours must be counted once.  Skipped only when
array-api-extra's wheel does not ship its tests (``pip install -e ".[consumers]"``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SELECTION = "test_update_ops or test_incompatible_dtype"


def _aext_tests() -> str:
    aext = pytest.importorskip("array_api_extra", reason="pip install -e '.[consumers]'")
    path = os.path.join(os.path.dirname(aext.__file__), "tests", "main", "test_at.py")
    if not os.path.exists(path):
        pytest.skip("the installed array-api-extra ships no tests")
    return path


def _plain_counts(path: str, tmp_path) -> dict:
    """Outcomes per control backend of a plain run of the suite (its own fixtures)."""
    xml = tmp_path / "plain.xml"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         "--rootdir", os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(path)))),
         path, "-k", f"({SELECTION}) and (numpy or array_api_strict or torch) and not "
                     "readonly and not strictest and not gpu", f"--junitxml={xml}"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    counts = {b: {"passed": 0, "failed": 0, "skipped": 0}
              for b in ("numpy", "array_api_strict", "torch")}
    for case in ET.parse(xml).getroot().iter("testcase"):
        ids = case.get("name").partition("[")[2].rstrip("]").split("-")
        backend = next((i for i in ids if i in counts), None)
        if backend is None:
            continue
        tags = {child.tag for child in case}
        outcome = ("failed" if tags & {"failure", "error"} else
                   "skipped" if "skipped" in tags else "passed")
        counts[backend][outcome] += 1
    return counts


def test_consumers_command_counts_are_real(tmp_path):
    path = _aext_tests()
    out = tmp_path / "report"
    proc = subprocess.run(
        [sys.executable, "-m", "conformance_tests.consumers", "--suite", "array-api-extra",
         "--module", "test_at.py", "-k", SELECTION, "--output", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "| array-api-extra | numpy |" in proc.stdout  # the table is printed
    report = json.loads((out / "consumers-report.json").read_text())
    (run,) = report["runs"]
    rows = {row["backend"]: row for row in run["rows"]}
    plain = _plain_counts(path, tmp_path)
    for backend, row in rows.items():
        assert row["control"] == plain[backend], backend
        collected = row["collected"]
        assert collected["ours"] == collected["control"] == sum(plain[backend].values()) > 0
        assert sum(row["ours"].values()) == collected["ours"]
        classes = row["failures of ours"]
        assert sum(classes.values()) == row["ours"]["failed"]
        assert classes["defect of ours"] == 0
    # 4 ops x 2 masks x 2 copies of test_incompatible_dtype expect array_api_strict's
    # TypeError by name only: ours raises it, and each is classified so, with evidence
    strict = [f for f in run["failures"] if f["backend"].endswith(".array_api_strict")]
    assert len(strict) == rows["array_api_strict"]["ours"]["failed"] > 0
    assert all(f["category"] == "by name" and "ARRAY_API_STRICT" in f["evidence"]
               for f in strict)
    assert rows["numpy"]["ours"]["passed"] == rows["numpy"]["control"]["passed"] > 0
    md = (out / "consumers-report.md").read_text()
    assert md.count("| array-api-extra |") == 3


def test_a_missing_suite_says_what_to_install():
    from conformance_tests.consumers.run import Suite, locate

    absent = Suite("absent", "no_such_package_here", "scipy", ("tests",), "no-such-package>=1", 1)
    paths, _, reason = locate(absent)
    assert paths == []
    assert "not installed: pip install 'no-such-package>=1'" in reason
    assert "pip install -e '.[consumers]'" in reason
    # an installed package whose wheel has no tests (json ships none)
    bare = Suite("bare", "json", "scipy", ("tests/main",), "json-with-tests>=1", 1)
    paths, _, reason = locate(bare)
    assert paths == []
    assert "ships no tests (tests/main is missing)" in reason

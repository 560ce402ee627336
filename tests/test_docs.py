"""The documentation builds cleanly, and its tutorial's examples run as shown.

``sphinx-build -W`` turns every warning (a broken docstring, a missing page, a
generated page that failed) into an error.  Skipped only when Sphinx is not
installed (``pip install -e ".[docs]"``; CI installs it).
"""

from __future__ import annotations

import doctest
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")


def test_tutorial_examples_run():
    """Every ``>>>`` example of the tutorial (the seed chapter) gives the output shown."""
    result = doctest.testfile(os.path.join(DOCS, "tutorial.rst"), module_relative=False,
                              optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 40
    assert result.failed == 0, f"{result.failed} tutorial examples failed (run doctest on docs/tutorial.rst)"


def test_sphinx_build_is_clean(tmp_path):
    pytest.importorskip("sphinx", reason="Sphinx is not installed (pip install -e '.[docs]')")
    pytest.importorskip("matplotlib", reason="the tutorial's figure needs Matplotlib "
                                             "(pip install -e '.[docs]')")
    env = dict(os.environ, MPLBACKEND="Agg", SCIPY_ARRAY_API="1")
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), DOCS, str(tmp_path / "html")],
        capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    html = tmp_path / "html"
    for page in ("index", "tutorial", "concepts", "integration", "api", "ops",
                 "conformance", "benchmarks", "getting_started"):
        assert (html / f"{page}.html").exists(), page
    assert any((html / "_images").glob("tutorial-*.png")), "the sin figure was not drawn"
    assert "sklearn.metrics.r2_score" in (html / "integration.html").read_text() or \
        not _has("sklearn")


def _has(module: str) -> bool:
    try:
        __import__(module)
        return True
    except ImportError:
        return False


@pytest.mark.parametrize("with_outputs", [True, False], ids=["with_outputs", "without"])
def test_generated_includes_resolve_from_the_including_page(tmp_path, with_outputs):
    """The conformance report and benchmark outputs are found wherever they are included.

    The generated pages are included into ``docs/*.rst``, and Sphinx resolves their
    paths against the including page, not ``docs/_generated/``: a report in the
    repository root once failed the build ("Include file ... not found").  A small
    project laid out like the repository, built with ``-W`` with and without the
    outputs (so this does not touch a conformance report of the checkout).
    """
    pytest.importorskip("sphinx", reason="Sphinx is not installed (pip install -e '.[docs]')")
    sys.path.insert(0, DOCS)
    try:
        import _generate
    finally:
        sys.path.remove(DOCS)
    root = tmp_path / "repo"
    docs = root / "docs"
    (docs / "benchmarks").mkdir(parents=True)
    if with_outputs:
        (root / "conformance-report.md").write_text("| op | numpy |\n|---|---|\n| sin | pass 1.5e-16 |\n")
        (docs / "benchmarks" / "results.md").write_text("# results: 42 ms\n")
        (docs / "benchmarks" / "table.csv").write_text("workload,ms\nmlp,42\n")
        (docs / "benchmarks" / "notes.rst").write_text("Notes: shown as reST.\n")
    (docs / "conf.py").write_text('exclude_patterns = ["_generated", "benchmarks"]\n')
    (docs / "index.rst").write_text("Index\n=====\n\n.. toctree::\n\n   conformance\n   benchmarks\n")
    (docs / "conformance.rst").write_text("Conformance\n===========\n\n.. include:: _generated/conformance.rst\n")
    (docs / "benchmarks.rst").write_text("Benchmarks\n==========\n\n.. include:: _generated/benchmarks.rst\n")
    (docs / "_generated").mkdir()
    (docs / "_generated" / "conformance.rst").write_text(_generate.conformance_page(str(root)))
    (docs / "_generated" / "benchmarks.rst").write_text(_generate.benchmarks_page(str(root)))
    proc = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         str(docs), str(tmp_path / "html")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    conformance = (tmp_path / "html" / "conformance.html").read_text()
    benchmarks = (tmp_path / "html" / "benchmarks.html").read_text()
    if with_outputs:
        assert "pass 1.5e-16" in conformance
        assert "results: 42 ms" in benchmarks and "mlp" in benchmarks
        assert "shown as reST" in benchmarks
    else:
        assert "No conformance report was found" in conformance
        assert "No benchmark outputs were found" in benchmarks

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

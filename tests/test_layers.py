"""The core's floors: imports only go down, and the machinery stays a few files.

The layers contract in ``pyproject.toml`` is checked by import-linter, which
reads every import statement, those inside functions included.
"""

from __future__ import annotations

import ast
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "arrayapi_autograd"


def test_the_layers_contract_holds():
    pytest.importorskip("importlinter")
    command = shutil.which("lint-imports", path=str(pathlib.Path(sys.executable).parent)) \
        or shutil.which("lint-imports")
    assert command, "import-linter is installed but its lint-imports command is not on PATH"
    result = subprocess.run([command], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_at_most_eight_private_machinery_modules():
    private = sorted(p.name for p in PACKAGE.glob("_*.py") if p.name != "__init__.py")
    assert len(private) <= 8, private
    assert private == ["_array_object.py", "_batching.py", "_custom.py", "_errors.py",
                       "_namespace.py", "_op.py", "_tape.py", "_transforms.py"]


def test_no_package_import_inside_a_function():
    """A package import inside a function is a cycle in disguise: every one is at the top."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for function in ast.walk(tree):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and (node.level or (
                        node.module or "").startswith("arrayapi_autograd")):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, offenders

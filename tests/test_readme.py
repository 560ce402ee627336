"""The README: its two commands come first, its quickstart runs as a script and prints.

A reader copies the first code block into a shell and the quickstart into a file; both
must work as written.  The commands themselves run in CI (``.ci/run`` runs the second).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as _f:
    README = _f.read()

COMMANDS = [
    'python -m pip install "torch==2.13.0" && python -m pip install -e ".[test]" '
    "&& python -m conformance_tests",
    'python -m pip install "torch==2.13.0" && python -m pip install -e ".[test,docs]" '
    "&& python -m pytest",
]


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def test_the_two_commands_come_first_after_the_venv_advice():
    first = README.split("\n\n", 1)[1]  # after the title
    assert first.startswith("```bash\n"), "the README must open with the two commands"
    lines = _blocks("bash")[0].splitlines()
    comments = [ln for ln in lines if ln.startswith("#")]
    commands = [ln for ln in lines if ln and not ln.startswith("#")]
    assert commands == COMMANDS
    # the virtual environment advice precedes the commands it applies to
    assert lines.index(comments[0]) < lines.index(commands[0])
    assert "python -m venv .venv && . .venv/bin/activate" in comments[0]


def test_no_reference_to_files_outside_the_repository():
    assert "DESIGN.md" not in README
    for path in re.findall(r"`((?:docs|benchmarks|tests|conformance_tests)/[\w./-]+)`", README):
        assert os.path.exists(os.path.join(ROOT, path)), path


def test_quickstart_lists_every_backend_module():
    quickstart = _blocks("python")[0]
    first = quickstart.splitlines()[0]
    listed = re.findall(r"\.(\w+)", first.split("#", 1)[1])
    assert set(listed) >= {"torch", "array_api_strict", "cupy", "dask", "jax"}
    for name in listed:
        assert os.path.exists(os.path.join(ROOT, "arrayapi_autograd", f"{name}.py")), name


def test_quickstart_prints_what_its_comments_show(tmp_path):
    """Pasted into a script, every result shown is printed, and is what the comment says."""
    code = _blocks("python")[0]
    for node in ast.parse(code).body:  # a bare expression would print nothing in a script
        if isinstance(node, ast.Expr):
            assert isinstance(node.value, ast.Call), ast.get_source_segment(code, node)
    script = tmp_path / "quickstart.py"
    script.write_text(code)
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120, env=env, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout.splitlines()
    expected = [line.split("# ", 1)[1] for line in code.splitlines()
                if line.startswith("print(")]
    assert len(printed) == len(expected) == 5
    for out, comment in zip(printed, expected):
        shown = re.search(r"Array\(.*?, \.\.\.\)", comment).group(0)
        assert out.startswith(shown[:-5]), (out, comment)

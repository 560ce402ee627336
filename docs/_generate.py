"""Pages generated at build time from the installed code (called by ``conf.py``).

Each writer returns reStructuredText; :func:`main` writes it into
``docs/_generated/`` only when it changed.  Nothing here may fail the build
because an optional piece (a library, a report, benchmark outputs) is absent:
the page then says how to produce it.
"""

from __future__ import annotations

import glob
import importlib
import inspect
import os
import sys
import traceback


def _escape(text: str) -> str:
    """Plain text safe inside reStructuredText (tables, paragraphs)."""
    text = " ".join(str(text).split())
    for ch in "\\*`|_[]<>":
        text = text.replace(ch, "\\" + ch)
    return text


def _list_table(header, rows, widths=None) -> str:
    lines = [".. list-table::", "   :header-rows: 1"]
    if widths:
        lines.append(f"   :widths: {' '.join(str(w) for w in widths)}")
    lines.append("")
    for row in [header, *rows]:
        for i, cell in enumerate(row):
            lines.append(("   * - " if i == 0 else "     - ") + (cell or "\\ "))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# API: the transforms that exist
# ---------------------------------------------------------------------------

def transforms_page() -> str:
    import arrayapi_autograd as aa

    skip = {"Array", "Namespace", "namespace", "autograd", "no_grad", "enable_grad",
            "stop_gradient"}
    names = [n for n in getattr(aa, "__all__", ()) if n not in skip and hasattr(aa, n)]
    if not names:
        return "No function transforms are exported yet.\n"
    out = []
    for name in names:
        obj = getattr(aa, name)
        kind = "autoclass" if inspect.isclass(obj) else "autofunction"
        members = "\n   :members:" if kind == "autoclass" else ""
        out.append(f".. {kind}:: arrayapi_autograd.{name}{members}\n")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# The op tables
# ---------------------------------------------------------------------------

def _differentiable_in(op) -> str:
    if not op.differentiable:
        return "not recorded"
    if isinstance(op.vjp, dict):
        return ", ".join(f"``{p}``" for p in op.vjp) or "none"
    if callable(op.vjp):
        return ", ".join(f"``{p}``" for p in op.arrays) or "none"
    return "no rule"


def _function_link(op) -> str:
    """The function's entry on the function reference page; array methods as literals."""
    if op.name.startswith("__"):
        return f"``{op.name}``"
    return f":func:`{op.name} <arrayapi_autograd.numpy.{op.name}>`"


def ops_page() -> str:
    out = []
    from arrayapi_autograd.ops import SECTIONS

    for title, _, module_name, ops in SECTIONS:
        module = importlib.import_module(f"arrayapi_autograd.ops.{module_name}")
        ops = [op for op in ops if not op.name.rpartition(".")[2].startswith("_")]
        if not ops:
            continue
        out.append(f"{title}\n{'-' * len(title)}\n")
        doc = (module.__doc__ or "").strip().split("\n\n")[0]
        if doc:
            out.append(_escape(doc) + "\n")
        rows = [[_function_link(op), _escape(op.dtypes), _differentiable_in(op),
                 f"``{op.signature}``"] for op in ops]
        out.append(_list_table(["function", "dtypes", "differentiable in", "signature"],
                               rows, widths=[20, 20, 20, 40]))
    return "\n".join(out)


def functions_page() -> str:
    """Every public function of the namespace with its docstring, by the standard's sections.

    The docstrings are generated from the op records (``_op.docstring``), so
    the page documents ``arrayapi_autograd.numpy``; every backend's namespace
    has the same functions and docstrings (where the backend has the function).
    """
    from arrayapi_autograd.ops import SECTIONS

    out = []
    for title, _, _, ops in SECTIONS:
        names = [op.name for op in ops if not op.short_name.startswith("_")]
        if not names:
            continue
        out.append(f"{title}\n{'-' * len(title)}\n")
        out.extend(f".. autofunction:: arrayapi_autograd.numpy.{name}\n" for name in names)
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Third-party libraries
# ---------------------------------------------------------------------------

_MARK = {"ok": "yes"}


def _cell(outcome) -> str:
    if outcome.status == "ok":
        return "yes"
    return "no: " + _escape(outcome.status)


def compat_page(root: str) -> str:
    sys.path.insert(0, os.path.join(root, "tests", "integration"))
    try:
        import _cases
    except Exception as exc:  # pragma: no cover - a broken checkout
        return f"The integration cases could not be loaded: {_escape(exc)}\n"
    finally:
        sys.path.pop(0)
    backends = []
    for b in _cases.BACKENDS:
        try:
            importlib.import_module(b)
            backends.append(b)
        except ImportError:
            pass
    try:
        import torch  # noqa: F401  (the reference)
    except ImportError:
        return "PyTorch (the reference) is not installed: no table.\n"
    out = []
    libraries = {"scipy": "SciPy", "array-api-extra": "array-api-extra",
                 "scikit-learn": "scikit-learn"}
    versions = []
    for lib, title in libraries.items():
        module = {"scipy": "scipy", "array-api-extra": "array_api_extra",
                  "scikit-learn": "sklearn"}[lib]
        try:
            versions.append(f"{title} {importlib.import_module(module).__version__}")
        except ImportError:
            out.append(f"{title} is not installed: its cases were not run.\n")
            continue
        rows = []
        for case in _cases.cases(lib):
            outcomes = {b: _cases.run(case, b) for b in backends}
            notes = _escape(case.why)
            bugs = {_cases.known_bug(case, b) for b, o in outcomes.items() if o.status != "ok"}
            bugs.discard(None)
            if bugs:
                notes = (notes + "; " if notes else "") + "known defect of ours (on " + \
                    ", ".join(b for b, o in outcomes.items() if _cases.known_bug(case, b)
                              and o.status != "ok") + "): " + _escape(" / ".join(sorted(bugs)))
            elif not notes:
                bad = [(b, o) for b, o in outcomes.items() if o.status != "ok"]
                if bad:
                    b, o = bad[0]
                    notes = _escape(o.detail.split("\n")[0][:200])
                    if o.status.startswith("missing"):
                        notes = f"our namespace lacks ``{o.status.split(': ')[1]}``"
            call = f" (``{case.call}``)" if case.call else ""
            rows.append([f"``{case.name}``{call}",
                         *[_cell(outcomes[b]) for b in backends], notes])
        out.append(f"{title}\n{'-' * len(title)}\n")
        out.append(_list_table(["function", *backends, "why not"], rows,
                               widths=[34] + [11] * len(backends) + [33]))
    import platform

    out.insert(0, "Generated when these pages were built, with "
               + ", ".join(versions + [f"Python {platform.python_version()}"]) + ".\n")
    return "\n".join(out)


# ---------------------------------------------------------------------------
# Conformance report and benchmarks (written by other tools)
# ---------------------------------------------------------------------------

def _from_docs(root: str, path: str) -> str:
    """``path`` as Sphinx directives (``literalinclude``, ``include``, ``image``) take it.

    The generated pages are inserted with ``.. include::`` into pages of ``docs/``, and
    Sphinx resolves a relative path against the including page, not against
    ``docs/_generated/``.  A path starting with ``/`` is taken from the source directory
    (``docs/``) whichever page includes it, so that is the form written here.
    """
    rel = os.path.relpath(path, os.path.join(root, "docs"))
    return "/" + rel.replace(os.sep, "/")


CONFORMANCE_RUN = ["--backend", "numpy", "--max-examples", "2"]
"""The quick run the documentation build makes: every function, on NumPy, two examples."""


def _include_markdown(root: str, path: str) -> str:
    """A Markdown file rendered by MyST (tables become HTML tables), not shown as code."""
    return f".. include:: {_from_docs(root, path)}\n   :parser: myst_parser.sphinx_\n"


def conformance_page(root: str, out_dir: str | None = None, args=None) -> str:
    """Run ``python -m conformance_tests`` (a quick run) and include its report.

    ``out_dir``: where the run writes ``conformance-report.md`` (default
    ``docs/_generated/conformance``, ignored by git); every build runs again, so the
    page matches the code it documents.  ``args``: the command line of the run
    (default :data:`CONFORMANCE_RUN`).
    """
    import subprocess
    import tempfile

    out_dir = out_dir or os.path.join(root, "docs", "_generated", "conformance")
    os.makedirs(out_dir, exist_ok=True)
    report = os.path.join(out_dir, "conformance-report.md")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    args = list(CONFORMANCE_RUN if args is None else args)
    shown = " ".join(["python -m conformance_tests", *args])
    # written aside, then moved in at once: two builds at a time (pytest-xdist) never
    # see each other's half-written report
    with tempfile.TemporaryDirectory(dir=out_dir) as scratch:
        command = [sys.executable, "-m", "conformance_tests", *args, "--output", scratch]
        proc = subprocess.run(command, capture_output=True, text=True, cwd=root, env=env,
                              timeout=600)
        written = os.path.join(scratch, "conformance-report.md")
        if os.path.exists(written):
            os.replace(written, report)
            made = True
        else:
            made = False
    if not made:
        tail = _escape(" ".join((proc.stdout + proc.stderr).split()[-60:]))
        return (f"The quick conformance run of this build (``{shown}``) wrote no report "
                f"(exit status {proc.returncode}): {tail}\n\nRun ``python -m "
                "conformance_tests`` from the repository root to see why.\n")
    what = (" (every function of the standard on the NumPy backend, two Hypothesis "
            "examples each)" if args == CONFORMANCE_RUN else "")
    return (f"The report below was made by this documentation build, with a quick run: "
            f"``{shown}``{what}; the date, versions and machine are in its header.  "
            "``python -m conformance_tests`` runs every installed backend with five "
            "examples and writes the same report to ``conformance-report.md``.\n\n"
            + _include_markdown(root, report))


def benchmarks_page(root: str) -> str:
    folder = os.path.join(root, "docs", "benchmarks")
    files = sorted(glob.glob(os.path.join(folder, "*")))
    files = [f for f in files if os.path.isfile(f)]
    if not files:
        return ("No benchmark outputs were found in ``docs/benchmarks/`` when these pages "
                "were built.  Run ``python -m benchmarks --write-docs`` from the repository "
                "root to produce them.\n")
    # the method and analysis first, then the results they discuss, then the figure
    order = {"README.md": 0, "results.md": 1}
    files.sort(key=lambda f: (order.get(os.path.basename(f), 2), os.path.basename(f)))
    out = []
    for path in files:
        rel = _from_docs(root, path)
        name = os.path.basename(path)
        ext = os.path.splitext(name)[1].lower()
        if ext in (".png", ".svg", ".jpg", ".jpeg", ".gif"):
            out.append(f".. image:: {rel}\n   :alt: {name}\n   :width: 100%\n")
        elif ext == ".rst":
            out.append(f".. include:: {rel}\n")
        elif ext == ".md":
            out.append(_include_markdown(root, path))
        elif ext == ".csv":
            # inlined: Sphinx and docutils disagree on where a :file: path starts
            # from in an included page (the including page or the included one)
            with open(path, encoding="utf-8") as f:
                rows = "".join(f"   {line}" for line in f.read().strip().splitlines(True))
            out.append(f"``{name}``:\n\n.. csv-table::\n   :header-rows: 1\n\n{rows}\n")
        elif ext in (".txt", ".json"):
            lang = {".json": "json"}.get(ext, "text")
            out.append(f"``{name}``:\n\n.. literalinclude:: {rel}\n   :language: {lang}\n")
    return "\n".join(out) or "The benchmark outputs are in formats these pages do not show.\n"


# ---------------------------------------------------------------------------

def _write(path: str, text: str) -> None:
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main(out_dir: str, root: str) -> list:
    """Write every page; returns the error reports of pages that failed."""
    failures = []
    os.makedirs(out_dir, exist_ok=True)
    pages = {
        "transforms.rst": transforms_page,
        "ops.rst": ops_page,
        "functions.rst": functions_page,
        "compat.rst": lambda: compat_page(root),
        "conformance.rst": lambda: conformance_page(root),
        "benchmarks.rst": lambda: benchmarks_page(root),
    }
    for name, make in pages.items():
        try:
            text = make()
        except Exception:  # reported as a Sphinx warning by conf.py (an error under -W)
            failures.append(f"{name}: {traceback.format_exc()}")
            text = "This page could not be generated.\n"
        _write(os.path.join(out_dir, name), text)
    return failures

"""Every public function of a namespace documents itself, from its op record.

Each function of the main namespace, of ``linalg`` and of ``fft`` has a
numpydoc docstring with the record's one-line summary, the standard's page, the
arguments it is differentiable in, the derivative rule and its source (for a
differentiable function) and the accepted dtypes; ``help()`` shows it.
"""

from __future__ import annotations

import pydoc
import re

import pytest

import arrayapi_autograd
import arrayapi_autograd.numpy as xp
from arrayapi_autograd.ops import ALL_OPS, BY_NAME

PUBLIC = [op for op in ALL_OPS if not op.short_name.startswith("_")]
OLD_ONE_LINER = "(array API standard), differentiable."


def function_of(ns, op):
    prefix, _, short = op.name.rpartition(".")
    return getattr(getattr(ns, prefix) if prefix else ns, short)


def flat(text: str) -> str:
    """Whitespace collapsed, so that wrapped paragraphs compare with the record's text."""
    return " ".join(text.split())


def expected_page(name: str) -> str:
    folder = "extensions" if "." in name else "API_specification"
    return f"https://data-apis.org/array-api/latest/{folder}/generated/array_api.{name}.html"


def differentiation(doc: str) -> str:
    head, sep, section = doc.partition("Differentiation\n---------------\n")
    assert sep, "no Differentiation section"
    return section


def test_every_namespace_function_is_covered():
    """The records cover the whole namespace: 174 public functions, linalg and fft included."""
    names = {op.name for op in PUBLIC}
    assert len(names) >= 170
    assert {"expm1", "linalg.solve", "fft.rfft", "maximum", "unique_values"} <= names
    for op in PUBLIC:
        if op.name.startswith("__"):
            continue  # array methods: documented on the array object
        assert callable(function_of(xp, op)), op.name


@pytest.mark.parametrize("op", [op for op in PUBLIC if not op.name.startswith("__")],
                         ids=lambda op: op.name)
def test_docstring_of(op):
    function = function_of(xp, op)
    doc = function.__doc__
    assert doc and OLD_ONE_LINER not in doc
    # the summary: the record's, one line, first
    assert op.summary and "\n" not in op.summary and op.summary.endswith(".")
    assert doc.splitlines()[0] == op.summary
    # the standard's page
    assert f"Array API standard: {expected_page(op.name)}" in doc
    section = flat(differentiation(doc))
    # the dtypes, in the standard's words
    assert f"Accepted dtypes: {op.dtypes} (in the standard's words)." in section
    if not op.differentiable:
        assert section.startswith("Not differentiable (never recorded).")
        assert "Source:" not in section
        return
    arguments = tuple(op.vjp) if isinstance(op.vjp, dict) else tuple(op.arrays)
    if not arguments:  # recorded without a rule (unique_*): a backward raises
        assert section.startswith("Not differentiable: recorded without a rule")
        return
    listed = re.match(r"Differentiable in (.*), in reverse and forward mode\.", section)
    assert listed, section[:200]
    assert re.findall(r"``(\w+)``", listed.group(1)) == list(arguments)
    # the rule and its source
    assert op.rule and flat(op.rule) in section
    assert re.search(r"Source: \S", section)
    # the Parameters section marks each array argument
    for name in op.arrays:
        role = "Differentiable." if name in arguments else "No gradient flows to it."
        assert re.search(rf"^\*?{name} : (array|sequence of arrays)\n    {re.escape(role)}$",
                         doc, re.MULTILINE), (name, role)


def test_help_shows_the_generated_docstring():
    text = pydoc.render_doc(xp.expm1, renderer=pydoc.plaintext)
    assert OLD_ONE_LINER not in text
    assert "exp(x) - 1" in text
    assert "array_api.expm1.html" in text
    assert "Differentiable in ``x``" in text
    assert "Local derivative: ``d/dx = out + 1``" in text
    assert "Accepted dtypes: floating-point" in text


@pytest.mark.parametrize("name, facts", [
    ("maximum", ["ties (``x1 == x2``) split the cotangent evenly", "exact 0"]),
    ("abs", ["``abs'(0) = 0``", "``ct * sgn(x)``"]),
    ("pow", ["exact 0 where ``x2 == 0``"]),
    ("max", ["spread evenly among ties", "``scale_grad_by_count``"]),
    ("clip", ["``min <= x <= max`` (bounds included)", "``clamp_backward_min_max``"]),
    ("where", ["``condition`` is not differentiable"]),
    ("multiply", ["product rule", "``conj(x2) * ct`` for ``x1``"]),
    ("sum", ["Linear", "broadcasts the cotangent back"]),
    ("floor", ["exact zeros"]),
    ("linalg.det", ["Giles", "NA-08-01.pdf", "cofactor matrix"]),
    ("linalg.solve", ["Differentiable in ``x1`` and ``x2``", "``g = solve(x1^H, ct)``"]),
    ("linalg.eigh", ["defined up to sign"]),
    ("fft.rfft", ["``fft_r2c_backward``", "keeps the real part"]),
    ("sort", ["stable"]),
    ("equal", ["Not differentiable (never recorded)."]),
    ("unique_values", ["raises an error", "``stop_gradient``"]),
])
def test_docstring_states(name, facts):
    """The conventions at kinks and ties and the sources are those of the rules."""
    section = flat(differentiation(function_of(xp, BY_NAME[name]).__doc__))
    for fact in facts:
        assert fact in section, (name, fact)


def test_source_defaults_to_pytorch_formulas():
    section = flat(differentiation(xp.sin.__doc__))
    assert ("Source: PyTorch's ``tools/autograd/derivatives.yaml`` and "
            "``FunctionsManual.cpp``.") in section
    assert "``d/dx = cos(x)``" in section


def test_functions_built_by_their_record_are_documented_too():
    """asarray, the dtype inspection functions and broadcast_shapes bind themselves."""
    for name in ("asarray", "finfo", "can_cast", "result_type", "broadcast_shapes"):
        doc = function_of(xp, BY_NAME[name]).__doc__
        assert doc.splitlines()[0] == BY_NAME[name].summary
        assert expected_page(name) in doc
    assert "differentiable copy" in flat(xp.asarray.__doc__)


def test_every_backend_gets_the_same_docstrings():
    torch_ns = arrayapi_autograd.namespace("torch")
    for name in ("expm1", "linalg.svd", "fft.fft", "concat"):
        op = BY_NAME[name]
        assert function_of(torch_ns, op).__doc__ == function_of(xp, op).__doc__


def test_linalg_aliases_share_the_main_docstrings():
    assert xp.linalg.matmul.__doc__ == xp.matmul.__doc__
    assert "array_api.matmul.html" in xp.linalg.matmul.__doc__

"""What a node keeps of its inputs (``Op.reads``), as PyTorch saves per formula.

A node keeps only the inputs whose values the rules of the inputs needing a
gradient read: ``x * 0.9`` keeps 0.9, not ``x``; ``tanh`` keeps its output, not
its input; ``add`` keeps nothing.  The others stand in by shape and dtype.
So intermediates are freed as soon as nothing reads them (memory), and an
in-place change to an unread input before the backward is allowed (PyTorch
allows it too), while a change to a read one still raises.

Each declaration is checked with only one input requiring a gradient (the
case where an input is dropped) against ``torch.func``, first and second order,
every unread input being dropped whatever its size.
"""

from __future__ import annotations

import weakref

import array_api_compat
import numpy as np
import pytest
import torch
import torch.func

import arrayapi_autograd as ag
from arrayapi_autograd import ops
from oracle import BACKENDS, to_numpy

rng = np.random.default_rng(7)
A = rng.uniform(0.5, 1.5, (3, 3))
B = rng.uniform(0.5, 1.5, (3, 3))
V = rng.uniform(0.5, 1.5, 3)
W = rng.uniform(0.5, 1.5, 3)


def _xp(*arrays):
    return array_api_compat.array_namespace(*arrays)


# op name -> (function of arrays, the arrays); each op whose record declares reads
CASES = {
    "multiply": (lambda a, b: _xp(a).sum(a * b), (A, B)),
    "pow": (lambda a, b: _xp(a).sum(a ** b), (A, B)),
    "maximum": (lambda a, b: _xp(a).sum(_xp(a).maximum(a, b) * a), (A, B)),
    "minimum": (lambda a, b: _xp(a).sum(_xp(a).minimum(a, b) * b), (A, B)),
    "divide": (lambda a, b: _xp(a).sum(a / b), (A, B)),
    "copysign": (lambda a, b: _xp(a).sum(_xp(a).copysign(a * a, b - 1.0) * a), (A, B)),
    "nextafter": (lambda a, b: _xp(a).sum(_xp(a).nextafter(a * a, b) * a), (A, B)),
    "exp": (lambda a: _xp(a).sum(_xp(a).exp(a) * a), (A,)),
    "expm1": (lambda a: _xp(a).sum(_xp(a).expm1(a) * a), (A,)),
    "sqrt": (lambda a: _xp(a).sum(_xp(a).sqrt(a) * a), (A,)),
    "reciprocal": (lambda a: _xp(a).sum(_xp(a).reciprocal(a) * a), (A,)),
    "tan": (lambda a: _xp(a).sum(_xp(a).tan(a) * a), (A,)),
    "tanh": (lambda a: _xp(a).sum(_xp(a).tanh(a) * a), (A,)),
    "matmul": (lambda a, b: _xp(a).sum(_xp(a).sin(a @ b)), (A, B)),
    "vecdot": (lambda a, b: _xp(a).sum(_xp(a).sin(_xp(a).vecdot(a, b))), (A, B)),
    "tensordot": (lambda a, b: _xp(a).sum(_xp(a).sin(_xp(a).tensordot(a, b, axes=1))),
                  (A, B)),
    "linalg.outer": (lambda a, b: _xp(a).sum(_xp(a).sin(_xp(a).linalg.outer(a, b))), (V, W)),
    "linalg.cross": (lambda a, b: _xp(a).sum(_xp(a).sin(_xp(a).linalg.cross(a, b))), (V, W)),
    "where": (lambda a, b: _xp(a).sum(_xp(a).where(a > 1.0, a * a, b * b * b)), (A, B)),
    "take": (lambda a: _xp(a).sum(_xp(a).take(a * a, _xp(a).asarray([2, 0, 2]), axis=0)),
             (A,)),
    "take_along_axis": (lambda a: _xp(a).sum(_xp(a).take_along_axis(
        a * a, _xp(a).asarray([[2], [0], [1]]), axis=1)), (A,)),
}


def test_every_declaration_is_checked():
    declared = {op.name for op in ops.ALL_OPS if isinstance(op.reads, dict)}
    assert declared == set(CASES)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", list(CASES))
def test_one_input_requiring_a_gradient(name, backend):
    """Only input ``i`` differentiated: the node drops what input i's rule does not read."""
    fn, arrays = CASES[name]
    ns = ag.namespace(backend)
    for i in range(len(arrays)):
        ours = ag.grad(fn, argnums=i)(*[ns.asarray(a) for a in arrays])
        reference = torch.func.grad(fn, argnums=i)(*[torch.asarray(a) for a in arrays])
        np.testing.assert_allclose(to_numpy(ours), to_numpy(reference), rtol=1e-12)
        ours = ag.hessian(fn, argnums=i)(*[ns.asarray(a) for a in arrays])
        reference = torch.func.hessian(fn, argnums=i)(*[torch.asarray(a) for a in arrays])
        np.testing.assert_allclose(to_numpy(ours), to_numpy(reference), rtol=1e-10,
                                   atol=1e-12)


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_unread_input_may_change_in_place(backend):
    """PyTorch's example: ``z = y * 3`` does not save ``y``; changing ``y`` afterwards is
    fine.  ``z = y * y`` reads it: PyTorch raises, the tape keeps the old values (copy on
    write) and the gradient is the one of the values used."""
    xp = ag.namespace(backend)
    x = xp.asarray([1.0, 2.0, 3.0])
    x.requires_grad_()
    y = x * 1.0
    z = y * 3.0
    y[0] = 5.0
    xp.sum(z).backward()
    np.testing.assert_array_equal(to_numpy(x.grad), [3.0, 3.0, 3.0])

    t = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    ty = t * 1.0
    tz = ty * 3.0
    with torch.no_grad():
        ty[0] = 5.0
    tz.sum().backward()
    np.testing.assert_array_equal(to_numpy(x.grad), t.grad.numpy())

    x.grad = None
    y = x * 1.0
    z = y * y
    y[0] = 5.0
    xp.sum(z).backward()
    np.testing.assert_array_equal(to_numpy(x.grad), [2.0, 4.0, 6.0])


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_output_read_for_its_dtype_only_may_change(backend):
    """``maximum`` saves its output for its dtype, ``m ** 1.5`` does not read its output
    for the base's gradient: both may change in place (SciPy's ``skew`` and scikit-learn's
    ``rbf_kernel`` do it; PyTorch allows it), while ``exp``'s output is read."""
    xp = ag.namespace(backend)
    for f, expected in ((lambda v: xp.maximum(v, 1.5), [0.0, 1.0, 1.0]),
                        (lambda v: v ** 1.5, 1.5 * np.array([1.0, 2.0, 3.0]) ** 0.5)):
        x = xp.asarray([1.0, 2.0, 3.0])
        x.requires_grad_()
        y = f(x)
        y *= 2.0
        xp.sum(y).backward()
        np.testing.assert_allclose(to_numpy(x.grad), 2.0 * np.asarray(expected))
    x.grad = None
    y = xp.exp(x)
    z = xp.sum(y)
    y *= 2.0   # exp's output is read: its node keeps the old values (no copy needed)
    z.backward()
    np.testing.assert_allclose(to_numpy(x.grad), np.exp([1.0, 2.0, 3.0]))


def test_intermediates_are_freed_when_unread():
    """``h = x * 2``, ``z = tanh(h)``: nothing keeps ``h`` once the caller drops it
    (10^4 elements: above the size under which unread inputs are kept anyway)."""
    xp = ag.namespace("numpy")
    x = xp.asarray(np.linspace(0.0, 1.0, 10_000))
    x.requires_grad_()
    h = x * 2.0
    z = xp.tanh(h) + 1.0
    raw = weakref.ref(h._data)
    del h
    assert raw() is None
    xp.sum(z).backward()
    np.testing.assert_allclose(to_numpy(x.grad),
                               2.0 / np.cosh(2.0 * np.linspace(0.0, 1.0, 10_000)) ** 2)


def test_unread_inputs_are_not_kept_whatever_their_size():
    """Even a two-element unread input is dropped (nothing is looked up to drop it),
    and an unread input may change in place before the backward."""
    from arrayapi_autograd._tape import NOT_KEPT

    xp = ag.namespace("numpy")
    x = xp.asarray([1.0, 2.0])
    x.requires_grad_()
    h = x * 2.0
    z = xp.tanh(h)
    assert z._node.primals[0] is NOT_KEPT
    assert h._node.primals == (NOT_KEPT, 2.0)  # x * 2.0 keeps the scalar only
    h[0] = 7.0  # tanh's rule reads its output only
    xp.sum(z).backward()
    np.testing.assert_allclose(to_numpy(x.grad), 2.0 / np.cosh([2.0, 4.0]) ** 2)


def test_a_rule_reading_an_undeclared_value_fails_loudly():
    """A record that declares too little fails naming the op, never with a wrong gradient."""
    from dataclasses import replace

    from arrayapi_autograd._array_object import _call

    xp = ag.namespace("numpy")
    multiply = ops.BY_NAME["multiply"]
    wrong = replace(multiply, name="multiply_declared_wrong", reads={"x1": (), "x2": ()})
    x = xp.asarray([1.0, 2.0])
    w = xp.asarray([3.0, 4.0])
    x.requires_grad_()
    w.requires_grad_()
    y = _call(wrong, np.multiply, xp, (x, w), {})
    with pytest.raises(RuntimeError, match="'multiply_declared_wrong' read the value of its "
                                           "argument 'x2'"):
        xp.sum(y).backward()

"""PyTorch as the oracle for every gradient checked in ``tests/``.

A test writes its function once, against the array API: ``fn(xp, *arrays)``
returning one array.  :func:`torch_reference` runs that same body under
``torch.autograd`` (``xp`` is ``array_api_compat.torch`` and the arrays are
float64 torch tensors that require a gradient); :func:`our_gradients` runs it
on one of our namespaces with ``requires_grad_()`` and ``backward()``;
:func:`assert_matches_torch` compares values and gradients.  Hand-written
expected values in the tests come on top of this comparison, never instead.

A non-scalar output is differentiated with a head gradient of ones when none
is given (our ``backward()`` sums the output; for torch the ones are passed
explicitly), so the two sides compute the same vector-Jacobian product.
"""

from __future__ import annotations

import array_api_compat.torch
import numpy as np
import torch

from arrayapi_autograd import Array

BACKENDS = ("numpy", "torch", "array_api_strict")


def to_numpy(a) -> np.ndarray:
    """A NumPy copy of a wrapped array (its values only), a torch tensor or a value."""
    if isinstance(a, Array):
        return np.asarray(a.detach())
    if isinstance(a, torch.Tensor):
        return a.detach().numpy(force=True)  # (force: also a ZeroTensor gradient)
    return np.asarray(a)


def _float64(value) -> np.ndarray:
    return np.asarray(value, dtype=np.float64)


def torch_reference(fn, *values, head_grad=None, create_graph_order: int = 1):
    """Value and gradients of ``fn`` computed by ``torch.autograd`` in float64.

    Parameters
    ----------
    fn : callable
        ``fn(xp, *arrays)`` written against the array API.
    *values : array_like
        The inputs, all differentiable.
    head_grad : array_like, optional
        The cotangent of the output; ones (of the output's shape) by default.
    create_graph_order : int
        1 for gradients; 2 for the gradient of ``sum(gradient)`` (a second
        derivative, as ``backward(create_graph=True)`` then ``backward()``).

    Returns
    -------
    value : numpy.ndarray
    grads : list of numpy.ndarray
        One per input (zeros for inputs the output does not depend on).
    """
    xp = array_api_compat.torch
    inputs = [torch.tensor(_float64(v), requires_grad=True) for v in values]
    out = fn(xp, *inputs)
    ct = torch.ones_like(out) if head_grad is None else torch.tensor(_float64(head_grad))
    grads = torch.autograd.grad(out, inputs, ct, allow_unused=True,
                                create_graph=create_graph_order > 1)
    if create_graph_order > 1:
        total = sum(g.sum() for g in grads if g is not None)
        grads = torch.autograd.grad(total, inputs, allow_unused=True)
    return to_numpy(out), [np.zeros(np.shape(v)) if g is None else to_numpy(g)
                           for v, g in zip(values, grads)]


def our_gradients(xp, fn, *values, head_grad=None, create_graph_order: int = 1):
    """Value and gradients of ``fn`` computed by our tape on namespace ``xp`` in float64.

    Same parameters and results as :func:`torch_reference`; the inputs are
    made with ``xp.asarray(..., dtype=xp.float64)`` and ``requires_grad_()``.
    """
    inputs = [xp.asarray(_float64(v), dtype=xp.float64).requires_grad_() for v in values]
    out = fn(xp, *inputs)
    gradient = None if head_grad is None else xp.asarray(_float64(head_grad),
                                                           dtype=xp.float64)
    if create_graph_order > 1:
        out.backward(gradient, create_graph=True)
        first = [x.grad for x in inputs]
        for x in inputs:
            x.grad = None
        total = None
        for g in first:
            if g is not None:
                total = xp.sum(g) if total is None else total + xp.sum(g)
        total.backward()
    else:
        out.backward(gradient)
    grads = [np.zeros(np.shape(v)) if x.grad is None else to_numpy(x.grad)
             for v, x in zip(values, inputs)]
    return to_numpy(out), grads


def assert_matches_torch(xp, fn, *values, head_grad=None, create_graph_order: int = 1,
                         rtol: float = 1e-10, atol: float = 1e-12, reference=None):
    """Check that our value and gradients of ``fn`` equal PyTorch's.

    ``reference`` is the body torch runs instead of ``fn``, for the few
    functions whose torch derivative is missing (``floor_divide``, the
    divisor of ``remainder``): it must be the same mathematical function,
    written with ops torch differentiates.

    Returns
    -------
    list of numpy.ndarray
        Our gradients, for further hand-written checks.
    """
    ref_value, ref_grads = torch_reference(reference or fn, *values, head_grad=head_grad,
                                           create_graph_order=create_graph_order)
    value, grads = our_gradients(xp, fn, *values, head_grad=head_grad,
                                 create_graph_order=create_graph_order)
    np.testing.assert_allclose(value, ref_value, rtol=rtol, atol=atol,
                               err_msg="forward value differs from PyTorch's")
    assert len(grads) == len(ref_grads)
    for i, (g, ref) in enumerate(zip(grads, ref_grads)):
        assert g.shape == ref.shape, f"gradient {i}: shape {g.shape} != torch's {ref.shape}"
        np.testing.assert_allclose(g, ref, rtol=rtol, atol=atol,
                                   err_msg=f"gradient {i} differs from torch.autograd's")
    return grads


def torch_grads_of(fn, *values, head_grad=None):
    """Only the gradients of :func:`torch_reference` (for tests that build their own graph)."""
    return torch_reference(fn, *values, head_grad=head_grad)[1]

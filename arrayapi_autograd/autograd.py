"""Tape-level verbs, under the names of MXNet's ``autograd`` and PyTorch's ``torch.autograd``.

``from arrayapi_autograd import autograd`` stands in for ``from mxnet import
autograd``: ``record()``, ``pause()``, ``is_recording()``, ``backward()`` and
``grad()`` behave as there, with PyTorch's rule for *what* is recorded: an
operation is recorded whenever recording is on (the default) and one of its
inputs requires a gradient.
"""

from __future__ import annotations


from . import _errors
from ._array_object import Array
from ._tape import Leaf, RecordingScope as _RecordingScope, backward as _backward, state
from ._tape import enable_grad, no_grad

__all__ = ["record", "pause", "no_grad", "enable_grad", "set_recording", "is_recording",
           "backward", "grad", "mark_variables", "Leaf"]


def record(train_mode: bool = True) -> _RecordingScope:
    """Record operations in this scope (MXNet's ``autograd.record``).

    Recording is already on by default, so this matters inside ``pause()``
    or ``no_grad()``.  ``train_mode`` is accepted for MXNet compatibility.
    """
    return _RecordingScope(True)


def pause(train_mode: bool = False) -> _RecordingScope:
    """Do not record operations in this scope (MXNet's ``autograd.pause``)."""
    return _RecordingScope(False)


def set_recording(is_recording: bool) -> bool:
    """Switch recording on or off; returns the previous state (MXNet)."""
    previous = state.recording
    state.recording = bool(is_recording)
    return previous


def is_recording() -> bool:
    """Whether operations on arrays that require a gradient are being recorded."""
    return state.recording


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, Array):
        return [x]
    return list(x)


def backward(heads, head_grads=None, retain_graph: bool | None = None,
             create_graph: bool = False, train_mode: bool = True) -> None:
    """Accumulate the gradients of ``heads`` into the variables (MXNet's ``autograd.backward``).

    Parameters
    ----------
    heads : Array or sequence of Array
        Outputs to differentiate.
    head_grads : Array, sequence of (Array or None), or None
        One head gradient per head, of the head's shape; ``None`` means ones.
    retain_graph : bool, optional
        Keep the graph for another backward (default: ``create_graph``).
    create_graph : bool
        Record the backward pass (for higher derivatives).

    Raises
    ------
    RuntimeError, ValueError
        As :meth:`Array.backward`.
    """
    heads = _as_list(heads)
    grads = _as_list(head_grads) if head_grads is not None else [None] * len(heads)
    if retain_graph is None:
        retain_graph = create_graph
    _backward(heads, grads, retain_graph=retain_graph, create_graph=create_graph)


def grad(heads, variables, head_grads=None, retain_graph: bool | None = None,
         create_graph: bool = False, train_mode: bool = True, *,
         allow_unused: bool = False):
    """Gradients of ``heads`` with respect to ``variables``, without touching ``.grad``.

    As ``torch.autograd.grad`` (and MXNet's ``autograd.grad``).

    Parameters
    ----------
    heads : Array or sequence of Array
    variables : Array or sequence of Array
        Leaves or intermediate results of the recorded graph.
    head_grads : optional
        As in :func:`backward`.
    retain_graph : bool, optional
        Default: ``create_graph``.
    create_graph : bool
        Record the computation so the gradients can be differentiated again.
    allow_unused : bool
        Return ``None`` for variables that the heads do not depend on instead
        of raising.

    Returns
    -------
    Array or list of Array
        One gradient per variable, shaped like it (a single Array when
        ``variables`` is a single Array).

    Raises
    ------
    RuntimeError
        A variable is not in a graph, or (without ``allow_unused``) unused.
    """
    single = isinstance(variables, Array)
    variables = _as_list(variables)
    heads = _as_list(heads)
    grads = _as_list(head_grads) if head_grads is not None else [None] * len(heads)
    for i, v in enumerate(variables):
        if v._node is None:
            raise _errors.grad_of_non_variable(i)
    if retain_graph is None:
        retain_graph = create_graph
    found = _backward(heads, grads, retain_graph=retain_graph, create_graph=create_graph,
                      targets=variables, write_leaves=False)
    for i, g in enumerate(found):
        if g is None and not allow_unused:
            raise _errors.unused_variable(i)
    return found[0] if single else found


def mark_variables(variables, gradients=None, grad_reqs="write") -> None:
    """Mark arrays as variables (MXNet's ``autograd.mark_variables``)."""
    variables = _as_list(variables)
    reqs = [grad_reqs] * len(variables) if isinstance(grad_reqs, str) else list(grad_reqs)
    for v, req in zip(variables, reqs):
        v.attach_grad(req)
    if gradients is not None:
        for v, g in zip(variables, _as_list(gradients)):
            v._node.grad = g

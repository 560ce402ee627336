"""The tape: recording state, graph nodes and the reverse-mode engine.

Every recorded operation becomes a :class:`Node` that keeps what its VJP needs:
the op record, its parameters, the primal inputs, the primal outputs (only when
the rule reads them) and one *edge* per input, which points at the node (or
:class:`Leaf`) that produced that input.  Nodes get increasing sequence numbers
as they are recorded, so the reverse sweep in :func:`backward` simply processes
the reachable nodes in decreasing sequence order (the order PyTorch's engine
uses within one device): by then every consumer of a node has already added
its cotangent.

The bookkeeping every rule would otherwise repeat lives here, once:

* cotangents of broadcast inputs are summed back to the input's shape,
* cotangents are cast to the input's dtype (the real part for a real input of
  a complex result, as PyTorch does),
* inputs that need no gradient are skipped (their edge is ``None``),
* saved arrays are checked against in-place modification (version counters),
* saved values are released after a backward that does not retain the graph.

Derivative rules compute with the differentiable namespace ``ns``; the engine
runs them with recording switched on exactly when ``create_graph=True``, which
is how higher derivatives are obtained.
"""

from __future__ import annotations

import heapq
import itertools
import math
import threading
from typing import Any, Sequence

from . import _errors
from . import _array_object as _ao


class _State(threading.local):
    """Recording state, one per thread (PyTorch's grad mode is thread-local too).

    ``recording``: whether operations on arrays that require a gradient are
    recorded.  ``open_levels``: the forward-mode levels open in this thread
    (tangents of a closed level are inert: nothing propagates them).
    """

    def __init__(self):
        self.recording = True
        self.open_levels = set()


state = _State()
# forward-mode level numbers, never reused (an inner level is always higher)
levels = itertools.count(1)

_sequence = itertools.count()


class Leaf:
    """Gradient accumulator of a leaf array that requires a gradient.

    Parameters
    ----------
    grad_req : {"write", "add", "accumulate"}
        ``"write"`` overwrites :attr:`grad` on each backward (MXNet's default),
        ``"add"`` adds to it (MXNet), ``"accumulate"`` adds to it and starts
        from ``None`` (PyTorch's ``requires_grad_``).
    """

    __slots__ = ("grad", "grad_req", "hooks", "__weakref__")

    def __init__(self, grad_req: str, grad=None):
        self.grad = grad
        self.grad_req = grad_req
        self.hooks = None


class Node:
    """One recorded operation.

    Attributes
    ----------
    op : Op
        The op record (its VJP rules are looked up here).
    ns : Namespace
        The differentiable namespace the rules compute with.
    primals : tuple
        The inputs as passed (wrapped arrays, backend arrays or scalars).
    params : dict
        Non-array parameters (``axis``, ``keepdims``...).
    edges : tuple
        Per input, ``None`` or ``(parent, index, shape, dtype)``: the node or
        leaf that produced the input, which of its outputs it is, and the
        shape and dtype its cotangent must have.
    out : tuple or None
        Raw primal outputs, kept only when the rule reads ``out``.
    saved : tuple
        ``(version_cell, version, label, array)`` for every saved array that
        must not have been modified in place before the backward.
    """

    __slots__ = ("op", "ns", "seq", "primals", "params", "edges", "out", "n_out",
                 "multi", "saved", "hooks", "out_tangents", "out_meta", "view_version",
                 "dropped", "__weakref__")

    def __init__(self, op, ns, primals, params, edges, out, n_out, saved):
        self.op = op
        self.ns = ns
        self.seq = next(_sequence)
        self.primals = primals
        self.params = params
        self.edges = edges
        self.out = out
        self.n_out = n_out
        self.multi = n_out != 1
        self.saved = saved
        self.hooks = None
        # forward-mode tangents of the saved outputs, so that a rule reading
        # ``out`` under an open jvp level (forward-over-reverse) sees them
        self.out_tangents = None
        self.out_meta = None
        self.view_version = None
        # ((position, device), ...) of the inputs not kept (Op.reads), or None
        self.dropped = None

    def __repr__(self):
        return f"<Node {self.op.name} #{self.seq}>"

    def release(self):
        """Free the saved values; a later backward through this node raises."""
        self.primals = None
        self.out = None
        self.out_tangents = None
        self.saved = ()

    def vjp(self, cts: list) -> list:
        """Cotangents for each input (``None`` where no gradient is needed).

        ``cts`` holds one cotangent per output, ``None`` for outputs that
        received none.
        """
        op = self.op
        ns = self.ns
        primals = self.primals
        if primals is None:
            raise _errors.freed_graph(op.name)
        for cell, version, label, array in self.saved:
            # an in-place update either bumps the buffer's shared counter, or (recorded
            # functionally) gives the array a new buffer and a new counter
            if cell[0] != version or (array is not None and array._version is not cell):
                now = cell[0] if array is None else array._version[0]
                raise _errors.version_changed(op.name, label, array, version, now)
        if self.dropped:
            # the inputs not kept stand in by the shape and dtype of their edge
            primals = list(primals)
            edges = self.edges
            for i, device in self.dropped:
                edge = edges[i]
                primals[i] = ValueNotSaved(edge[2], edge[3], device, op, i)
        out = self._unpack_out()
        if not self.multi:
            ct = cts[0]
        elif op.sparse_cotangents:
            ct = tuple(cts)
        else:
            # outputs that received no cotangent get zeros of their shape and dtype
            device = next(c for c in cts if c is not None).device
            ct = tuple(c if c is not None else ns.zeros(shape, dtype=dtype, device=device)
                       for c, (shape, dtype) in zip(cts, self.out_meta))
        params = self.params
        rules = op.vjp
        edges = self.edges
        if callable(rules):
            needed = tuple(e is not None for e in edges)
            results = list(rules(ns, ct, *primals, out=out, needed=needed, **params))
        else:
            results = []
            names = op.arrays
            for i, edge in enumerate(edges):
                if edge is None:
                    results.append(None)
                    continue
                rule = rules.get(names[i])
                if rule is None:
                    raise _errors.vjp_not_defined(op.name, names[i])
                r = rule(ns, ct, *primals, out=out, **params)
                results.append(r if r is None else fit_cotangent(ns, r, edge[2], edge[3], op))
            return results
        for i, edge in enumerate(edges):
            r = results[i]
            if edge is not None and r is not None:
                results[i] = fit_cotangent(ns, r, edge[2], edge[3], op)
        return results

    def _unpack_out(self):
        """The primal output(s) as wrapped arrays that keep this node's history."""
        if self.out is None:
            return OUTPUT_NOT_SAVED
        if not self.multi:
            return _ao.Array._from_node(self.out[0], self.ns, self, 0, None,
                                        self.out_tangents[0] if self.out_tangents else None)
        return self._unpack_all_outputs()

    def _unpack_all_outputs(self):
        out = self.out
        tangents = self.out_tangents or (None,) * len(out)
        return tuple(_ao.Array._from_node(o, self.ns, self, i, None, t)
                     for i, (o, t) in enumerate(zip(out, tangents)))


class ValueNotSaved:
    """Stands in a node for an input whose value the needed rules do not read.

    It has the input's ``shape``, ``dtype``, ``device`` and ``ndim`` (what rules
    read to shape their results) but not its values, which the node does not
    keep (``Op.reads``).  Any other use raises, naming the op: a rule that reads
    a value its record declares unread is a bug of the table, never a silently
    wrong gradient.
    """

    __slots__ = ("shape", "dtype", "device", "_op", "_position")

    def __init__(self, shape, dtype, device, op, position: int):
        self.shape = shape
        self.dtype = dtype
        self.device = device
        self._op = op
        self._position = position

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    def _error(self):
        op = self._op
        name = op.arrays[0] if op.sequence else op.arrays[self._position]
        return _errors.value_not_saved(op.name, f"argument '{name}'")

    def __repr__(self):
        return f"<value of argument {self._position} of '{self._op.name}', not saved>"

    @property
    def __array_namespace__(self):
        # a property, so that even asking whether it is an array raises (hasattr lets
        # only AttributeError through)
        raise self._error()

    def __getattr__(self, name):
        raise self._error()


# per (op, which inputs need a gradient): which inputs a node keeps
KEPT: dict = {}


def kept_inputs(op, needed: int) -> tuple:
    """What a node of ``op`` keeps when bit ``i`` of ``needed`` says input ``i`` needs a
    gradient: ``(op, droppable, checked, out_checked)``.

    ``droppable``: the positions of the inputs needing a gradient whose value no
    needed rule reads (``Op.reads``; all of them for ``saves=False``).
    ``checked``: the positions whose values are read, to check for in-place
    changes (``None``: all inputs, the records without ``reads``).
    ``out_checked``: whether the output's values are read (``"out"`` among the
    reads; the output of ``maximum`` is saved for its dtype only).  Cached per
    op and mask.
    """
    key = (id(op), needed)
    entry = KEPT.get(key)
    if entry is None or entry[0] is not op:
        names = op.arrays
        if not op.saves:
            droppable = tuple(i for i in range(len(names)) if needed >> i & 1) \
                if not op.sequence else ()
            checked = ()
        elif op.reads is None or op.sequence:
            droppable, checked = (), None
        else:
            read = set()
            for i, name in enumerate(names):
                if needed >> i & 1:
                    read.update(op.reads.get(name, names))
            droppable = tuple(i for i, name in enumerate(names)
                              if needed >> i & 1 and name not in read)
            checked = tuple(i for i, name in enumerate(names) if name in read)
            if len(checked) == len(names):
                checked = None
        # the output is checked for in-place changes when a needed rule reads its values
        out_checked = op.uses_out and (op.reads is None or op.sequence or any(
            "out" in op.reads.get(name, ("out",))
            for i, name in enumerate(names) if needed >> i & 1))
        entry = KEPT[key] = (op, droppable, checked, out_checked)
    return entry


#: what a node stores in place of an input it does not keep
NOT_KEPT = object()

#: unread inputs of at most this many elements are kept (a stand-in would cost more
#: time per operation than the memory it frees); the tests set it to -1 to drop all
KEEP_UNREAD_UP_TO = 4096


class _OutputNotSaved:
    """What a rule gets as ``out`` when its record does not set ``uses_out=True``.

    Any use of it in a rule fails loudly (a wrong gradient is never returned
    silently): set ``uses_out=True`` on the record so the output is saved.
    """

    __slots__ = ()

    def __repr__(self):
        return "<output not saved: set uses_out=True on the op record to read `out`>"

    def __getattr__(self, name):
        raise AttributeError(f"{self!r} (attribute {name!r} requested)")


OUTPUT_NOT_SAVED = _OutputNotSaved()


def same_shape(a: tuple, b: tuple) -> bool:
    """Whether shapes ``a`` and ``b`` are equal, an unknown size matching an unknown one.

    Lazy backends do not know the sizes that depend on values (a boolean mask,
    ``unique_values``): the standard writes them ``None``, Dask ``nan``, and
    ``nan != nan``, so a plain comparison would see two different shapes.
    """
    if a == b:
        return True
    return len(a) == len(b) and all(
        m == n or ((m is None or m != m) and (n is None or n != n)) for m, n in zip(a, b))


def fit_cotangent(ns, ct, shape, dtype, op=None):
    """Sum a cotangent back to a broadcast input's ``shape`` and cast it to ``dtype``.

    Parameters
    ----------
    ct : Array
        Cotangent with the (broadcast) shape of the output.
    shape : tuple of int
        Shape of the input the cotangent belongs to.
    dtype : dtype
        Dtype of that input; a complex cotangent of a real input keeps its
        real part (PyTorch's convention).
    op : Op, optional
        The op whose rule returned ``ct``, named in the error.

    Raises
    ------
    ValueError
        ``ct`` does not broadcast to ``shape`` (a rule returned a wrong shape):
        it is never reshaped to fit.
    """
    if type(ct) is _ao.Array:
        data = ct._data
        if data.shape == shape and data.dtype == dtype:
            return ct  # the common case: nothing to fit
    elif not isinstance(ct, (_ao.Array, _ao.BatchedArray)):
        ct = ns.asarray(ct, dtype=dtype)
    ct_shape = tuple(ct.shape)
    if ct_shape == shape and ct.dtype == dtype:
        return ct
    if ct_shape != shape and not same_shape(ct_shape, shape):
        lead = len(ct_shape) - len(shape)
        if lead < 0:
            raise _errors.cotangent_shape(op, ct_shape, shape)
        if lead:
            ct = ns.sum(ct, axis=tuple(range(lead)))
        ones = tuple(i for i, n in enumerate(shape) if n == 1 and ct.shape[i] != 1)
        if ones:
            ct = ns.sum(ct, axis=ones, keepdims=True)
        if not same_shape(ct.shape, shape):
            raise _errors.cotangent_shape(op, ct_shape, shape)
    if ct.dtype != dtype:
        if ns._is_complex_dtype(ct.dtype) and not ns._is_complex_dtype(dtype):
            ct = ns.real(ct)
        if ct.dtype != dtype:
            ct = ns.astype(ct, dtype)
    return ct


def run_hooks(hooks, ct):
    """``ct`` passed through each hook in turn; a hook returning ``None`` keeps it.

    Raises
    ------
    TypeError, ValueError
        A hook returned something other than an array of ``ct``'s shape.
    """
    for hook in list(hooks):
        replaced = hook(ct)
        if replaced is None:
            continue
        if not isinstance(replaced, (_ao.Array, _ao.BatchedArray)) or \
                not same_shape(tuple(replaced.shape), tuple(ct.shape)):
            raise _errors.hook_result(hook, replaced, ct)
        ct = replaced
    return ct


def _without_history(ct):
    """A head cotangent cut from its graph, keeping its forward-mode tangents.

    A backward without ``create_graph`` records nothing, but under an open
    forward-mode level (forward-over-reverse: ``jvp`` of ``grad``, ``hessian``)
    the tangent of the head cotangent is part of the result and must flow.
    """
    if type(ct) is _ao.BatchedArray:
        return _ao.BatchedArray(_without_history(ct._physical), ct._level)
    if ct._node is None:
        return ct
    return _ao.Array._from_node(ct._data, ct._ns, None, 0, ct._version, ct._tangents)


def _accumulate(a, b):
    return b if a is None else a + b


def _nodes_to_targets(heads: Sequence, target_keys: dict) -> set:
    """The nodes reachable from ``heads`` whose VJP leads to a target.

    Parents are recorded before their consumers, so visiting the reachable
    nodes in increasing sequence order decides each parent before its users.
    """
    seen: set = set()
    order = []
    stack = [h._node for h in heads if isinstance(h._node, Node)]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        order.append(node)
        for edge in node.edges:
            if edge is not None and isinstance(edge[0], Node) and edge[0] not in seen:
                stack.append(edge[0])
    order.sort(key=lambda n: n.seq)
    needed: set = set()
    for node in order:
        for edge in node.edges:
            if edge is not None and ((id(edge[0]), edge[1]) in target_keys
                                     or edge[0] in needed):
                needed.add(node)
                break
    return needed


def backward(heads: Sequence, head_cts: Sequence, *, retain_graph: bool,
             create_graph: bool, targets: Sequence | None = None,
             write_leaves: bool = True):
    """Run the reverse sweep from ``heads``.

    Parameters
    ----------
    heads : sequence of Array
        Outputs to differentiate; each must be in a recorded graph.
    head_cts : sequence of Array or None
        Head gradients (cotangents of the heads), same shapes as the heads;
        ``None`` stands for ones (so a non-scalar head is summed).
    retain_graph : bool
        Keep the saved values so that another backward can run.
    create_graph : bool
        Record the backward computation itself (for higher derivatives).
    targets : sequence of Array, optional
        When given, return the cotangents reaching these arrays (leaves or
        intermediate results) instead of only writing leaf gradients.
    write_leaves : bool
        Store the results into the leaves' ``grad`` (``backward``); ``grad``
        leaves them untouched.  With ``targets`` and ``write_leaves=False``
        only the nodes that lead to a target run (the sweep stops at the
        targets), as PyTorch's ``autograd.grad`` does.

    Returns
    -------
    list or None
        With ``targets``, one cotangent (or ``None`` when unreachable) per target.

    Raises
    ------
    RuntimeError
        A head is not in a graph, a saved array was modified in place, or the
        graph was freed by an earlier backward.
    ValueError
        A head gradient's shape differs from its head's.
    """
    if len(heads) != len(head_cts):
        raise _errors.head_gradient_count(len(heads), len(head_cts))
    pending: dict[Node, list] = {}
    heap: list = []
    leaf_totals: dict[Leaf, Any] = {}
    target_keys = {}
    if targets is not None:
        for i, t in enumerate(targets):
            target_keys.setdefault((id(t._node), t._index), []).append(i)
        found: list = [None] * len(targets)
    target_nodes = {key[0] for key in target_keys}
    # autograd.grad runs only the nodes that lead to a target (PyTorch's exec_info):
    # the sweep stops at the targets and leaves the rest of the graph untouched.
    needed = _nodes_to_targets(heads, target_keys) if targets is not None and \
        not write_leaves else None

    previous = state.recording
    state.recording = create_graph
    try:
        for head, ct in zip(heads, head_cts):
            node = head._node
            if node is None:
                raise _errors.not_in_graph(head)
            ns = head._ns
            if ct is None:
                if ns._is_complex_dtype(head.dtype):
                    raise _errors.implicit_complex_head(head)
                ct = ns.ones_like(head)
            else:
                if not isinstance(ct, (_ao.Array, _ao.BatchedArray)):
                    ct = ns.asarray(ct)
                if not same_shape(ct.shape, head.shape):
                    raise _errors.head_gradient_shape(head, ct)
                if ct.dtype != head.dtype:
                    ct = ns.astype(ct, head.dtype)
                if not create_graph:
                    ct = _without_history(ct)
            if isinstance(node, Leaf):
                leaf_totals[node] = _accumulate(leaf_totals.get(node), ct)
                continue
            slot = pending.get(node)
            if slot is None:
                slot = pending[node] = [None] * node.n_out
                heapq.heappush(heap, (-node.seq, node))
            slot[head._index] = _accumulate(slot[head._index], ct)

        while heap:
            _, node = heapq.heappop(heap)
            cts = pending.pop(node)
            if node.hooks:
                for index, hooks in node.hooks.items():
                    if cts[index] is not None:
                        cts[index] = run_hooks(hooks, cts[index])
            if targets is not None and id(node) in target_nodes:
                for index, c in enumerate(cts):
                    for position in target_keys.get((id(node), index), ()):
                        found[position] = c
            if needed is not None and node not in needed:
                continue
            input_cts = node.vjp(cts)
            for edge, ct in zip(node.edges, input_cts):
                if edge is None or ct is None:
                    continue
                parent, index = edge[0], edge[1]
                if needed is not None and parent not in needed and \
                        (id(parent), index) not in target_keys:
                    continue
                if isinstance(parent, Leaf):
                    leaf_totals[parent] = _accumulate(leaf_totals.get(parent), ct)
                    continue
                slot = pending.get(parent)
                if slot is None:
                    slot = pending[parent] = [None] * parent.n_out
                    heapq.heappush(heap, (-parent.seq, parent))
                slot[index] = _accumulate(slot[index], ct)
            if not retain_graph:
                node.release()

        for leaf, total in leaf_totals.items():
            if leaf.hooks:
                total = leaf_totals[leaf] = run_hooks(leaf.hooks, total)
            if targets is not None:
                for position in target_keys.get((id(leaf), 0), ()):
                    found[position] = total
            if write_leaves:
                if leaf.grad_req == "write" or leaf.grad is None:
                    leaf.grad = total
                else:
                    leaf.grad = leaf.grad + total
    finally:
        state.recording = previous
    return found if targets is not None else None

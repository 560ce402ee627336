"""The tape: recording state, the recorder, graph nodes, forward mode and the reverse sweep.

This is the floor above the op records (``_op.py``) and below the array object:
it never imports the array module.  Arrays reach it as :class:`Value` instances
(the common base of the array object and of the batching module's stacked
values) and it builds new arrays with the constructor its caller hands it
(``ns.Array``, or the type of an array it already holds).

Recording
    :func:`record_one` and :func:`record` turn one operation on arrays that
    need a gradient into a :class:`Node` that keeps what its VJP needs: the op
    record, its parameters, the primal inputs its rules read (``Op.reads``;
    the others are not kept, as PyTorch saves per formula), the primal outputs
    when a rule reads them, and one *edge* per input, pointing at the node (or
    :class:`Leaf`) that produced it.  Nodes get increasing sequence numbers, so
    the reverse sweep processes the reachable nodes in decreasing sequence
    order (the order PyTorch's engine uses within one device).

Forward mode
    An array carries ``_tangents``, a dict from *level* to tangent, one level per
    open ``jvp``.  Each op's JVP rule turns input tangents into the output
    tangent as the op runs (:func:`forward_tangents`).  A rule computing the
    tangent of level ``L`` sees its inputs without the tangents of ``L`` and of
    inner levels, which prevents perturbation confusion (Siskind and
    Pearlmutter, 2005).

The reverse sweep
    :func:`backward` does the bookkeeping every rule would otherwise repeat:
    cotangents of broadcast inputs are summed back to the input's shape and
    cast to its dtype (:func:`fit_cotangent`), inputs that need no gradient are
    skipped, saved arrays are checked against in-place changes (version
    counters), and saved values are released after a backward that does not
    retain the graph.  A backward that records nothing (no ``create_graph``,
    no open forward-mode level, no batched cotangent) runs the rules on the
    backend's own arrays through ``ns._raw``, the namespace's functions without
    the wrapping; otherwise the rules compute with the differentiable
    namespace, so that the backward is itself recorded (higher derivatives).
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import math
import operator
import threading
import weakref
from typing import Any, Mapping, Sequence

import numpy as np

from . import _errors
from ._op import conj, generated, parameters


class Value:
    """Base of everything the tape treats as a differentiable value.

    The array object (``Array``) and the batching module's stacked values
    (``BatchedArray``) derive from it, so the tape recognises them without
    importing either.
    """

    __slots__ = ()


# ---------------------------------------------------------------------------
# Recording state
# ---------------------------------------------------------------------------

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
# forward-mode and batching level numbers, never reused (an inner level is always higher)
levels = itertools.count(1)

_sequence = itertools.count()
_new = object.__new__


class RecordingScope(contextlib.ContextDecorator):
    """Context manager (and decorator) that sets recording on or off, then restores it."""

    def __init__(self, recording: bool):
        self._recording = recording
        self._previous: list[bool] = []

    def __enter__(self):
        self._previous.append(state.recording)
        state.recording = self._recording
        return self

    def __exit__(self, *exc_info):
        state.recording = self._previous.pop()
        return False


def no_grad(func=None):
    """Do not record operations in this scope (PyTorch's ``torch.no_grad``).

    A context manager, or a decorator with or without parentheses
    (``@no_grad()`` and ``@no_grad``).
    """
    scope = RecordingScope(False)
    return scope(func) if callable(func) else scope


def enable_grad(func=None):
    """Record operations in this scope (PyTorch's ``torch.enable_grad``); like :func:`no_grad`."""
    scope = RecordingScope(True)
    return scope(func) if callable(func) else scope


# ---------------------------------------------------------------------------
# Graph nodes
# ---------------------------------------------------------------------------

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


#: what a node stores in place of an input whose value no needed rule reads
class _NotKept:
    __slots__ = ()

    def __repr__(self):
        return "<not kept>"


NOT_KEPT = _NotKept()
_NOT_KEPT_ONE = (NOT_KEPT,)

#: ``Node.leaf`` of a node whose paths end at several leaves
MANY_LEAVES = object()


def _single_leaf(edges: tuple):
    """The one leaf every path through ``edges`` ends at, or :data:`MANY_LEAVES`."""
    leaf = None
    for edge in edges:
        if edge is not None:
            parent = edge[0]
            found = parent.leaf if type(parent) is Node else parent
            if leaf is None:
                leaf = found
            elif found is not leaf:
                return MANY_LEAVES
    return MANY_LEAVES if leaf is None else leaf


class Node:
    """One recorded operation.

    Built by :meth:`__init__` on the general paths, and slot by slot by the
    recorder text inlined into the functions of one and two arrays
    (:func:`record_text_one`, :data:`RECORD_TWO`): a slot added here is set
    there too.

    Attributes
    ----------
    op : Op
        The op record (its VJP rules are looked up here).
    ns : Namespace
        The differentiable namespace the rules compute with.
    primals : tuple
        The inputs as passed (wrapped arrays, backend arrays or Python
        scalars); :data:`NOT_KEPT` for those whose values no needed rule reads.
    params : dict
        Non-array parameters (``axis``, ``keepdims``...).
    edges : tuple
        Per input, ``None`` or ``(parent, index, shape, dtype)``: the node or
        leaf that produced the input, which of its outputs it is, and the
        shape and dtype its cotangent must have.
    out : tuple or None
        Backend primal outputs, kept only when a rule reads ``out``.
    n_out : int
        Number of outputs (a class default of 1, set on the instance for more);
        ``multi`` says whether the op returned a sequence.
    saved : tuple
        ``(position, version_cell, version)`` for every kept array that must
        not change in place before the backward (position ``-1``: an output).
    read : tuple or None
        Positions of the inputs whose values the needed rules read (``None``:
        all of them); constants elsewhere are not converted for the rules.
    leaf : Leaf or MANY_LEAVES
        The one leaf every path from this node ends at, or
        :data:`MANY_LEAVES`: ``autograd.grad`` of a function of one variable
        then knows without a walk of the graph that every node leads to it.
    multi, hooks, out_tangents, out_meta, view_version
        Rarely set, so class-level defaults until then (kept in the instance's
        lazily made ``__dict__``): whether the op returned a sequence, hooks per
        output index, forward-mode tangents of the saved outputs
        (forward-over-reverse), ``(shape, dtype)`` per output of a
        multi-output op, and for a view the version of its base when taken.
    """

    __slots__ = ("op", "ns", "seq", "primals", "params", "edges", "out", "saved", "read",
                 "leaf", "__dict__", "__weakref__")
    n_out = 1
    multi = False
    hooks = None
    out_tangents = None
    out_meta = None
    view_version = None

    def __init__(self, op, ns, primals, params, edges, out, n_out, saved, read=None):
        self.op = op
        self.ns = ns
        self.seq = next(_sequence)
        self.primals = primals
        self.params = params
        self.edges = edges
        self.out = out
        if n_out != 1:
            self.n_out = n_out
        self.saved = saved
        self.read = read  # positions of the inputs the needed rules read (None: all)
        self.leaf = _single_leaf(edges)

    def __repr__(self):
        return f"<Node {self.op.name} #{self.seq}>"

    def check_versions(self) -> None:
        """Raise if a kept array was changed in place after it was recorded."""
        primals = self.primals
        for position, cell, version in self.saved:
            if position < 0:
                array, label = None, "its output"
                if cell[0] == version:
                    continue
                now = cell[0]
            else:
                array = primals[position]
                # an in-place update either bumps the buffer's shared counter, or
                # (recorded functionally) gives the array a new buffer and counter
                if cell[0] == version and array._version is cell:
                    continue
                now = array._version[0]
                name = self.op.arrays[0] if self.op.sequence else self.op.arrays[position]
                label = f"argument '{name}'"
            raise _errors.version_changed(self.op.name, label, array, version, now)

    def arguments(self, raw: bool, like) -> list:
        """The primal inputs as the rules see them, in backend (``raw``) or wrapped form.

        Inputs not kept become :class:`ValueNotSaved` stand-ins; Python scalars
        and backend arrays passed as constants become arrays of ``like``'s
        dtype (the output's, as the standard's promotion gives a scalar).
        """
        args = []
        read = self.read
        i = 0
        for p in self.primals:
            if isinstance(p, Value):
                args.append(p._data if raw else p)
            elif p is NOT_KEPT:
                args.append(ValueNotSaved(self, i, like))
            elif p is None or (read is not None and i not in read):
                args.append(p)  # a constant no rule reads stays as it is
            else:
                ns = self.ns
                constant = ns._constant(p, _backend_array(like))
                args.append(constant if raw else ns.Array._from_node(constant, ns, None, 0))
            i += 1
        return args

    def output(self, raw: bool):
        """The primal output(s): backend arrays, or wrapped arrays keeping this node's history."""
        out = self.out
        if out is None:
            return OUTPUT_NOT_SAVED
        if raw:
            return out if self.multi else out[0]
        new = self.ns.Array._from_node
        tangents = self.out_tangents or (None,) * len(out)
        results = tuple(new(o, self.ns, self, i, None, t)
                        for i, (o, t) in enumerate(zip(out, tangents)))
        return results if self.multi else results[0]

    def vjp(self, cts: list, raw: bool) -> list:
        """Cotangents for each input (``None`` where no gradient is needed).

        ``cts`` holds one cotangent per output, ``None`` for outputs that
        received none; backend arrays when ``raw``, wrapped arrays otherwise.
        """
        op = self.op
        primals = self.primals
        if primals is None:
            raise _errors.freed_graph(op.name)
        if raw and op.user_rules:
            # user-written rules compute with wrapped arrays: wrap, run, unwrap
            wrap = self.ns._wrap
            results = self.vjp([None if c is None else wrap(c) for c in cts], False)
            return [r._data if isinstance(r, Value) else r for r in results]
        for position, cell, version in self.saved:
            if cell[0] != version or (position >= 0 and primals[position]._version is not cell):
                self.check_versions()  # raises, naming the input
        ns = self.ns._raw if raw else self.ns
        multi = self.multi
        like = cts[0] if not multi else next(c for c in cts if c is not None)
        primals = self.arguments(raw, like)
        out = self.out
        if out is None:
            out = OUTPUT_NOT_SAVED
        elif raw:
            if not multi:
                out = out[0]
        else:
            out = self.output(False)
        if not multi:
            ct = cts[0]
        elif op.sparse_cotangents:
            ct = tuple(cts)
        else:
            # outputs that received no cotangent get zeros of their shape and dtype
            device = self.ns._device(_backend_array(like))
            ct = tuple(c if c is not None else ns.zeros(shape, dtype=dtype, device=device)
                       for c, (shape, dtype) in zip(cts, self.out_meta))
        params = self.params
        rules = op.vjp
        edges = self.edges
        if callable(rules):
            needed = tuple(e is not None for e in edges)
            results = list(rules(ns, ct, *primals, out=out, needed=needed, **params))
        else:
            names = op.arrays
            results = []
            i = 0
            for edge in edges:
                if edge is None:
                    results.append(None)
                else:
                    rule = rules.get(names[i])
                    if rule is None:
                        raise _errors.vjp_not_defined(op.name, names[i])
                    r = rule(ns, ct, *primals, out=out, **params) if params else \
                        rule(ns, ct, *primals, out=out)
                    # already of the input's shape and dtype (the common case), or fitted
                    if r is not None and not (getattr(r, "dtype", None) is edge[3] and
                                              r.shape == edge[2]):
                        r = fit_cotangent(ns, r, edge[2], edge[3], op)
                    results.append(r)
                i += 1
            return results
        for i, edge in enumerate(edges):
            r = results[i]
            if edge is not None and r is not None:
                results[i] = fit_cotangent(ns, r, edge[2], edge[3], op)
        return results


def _backend_array(value):
    """The backend array of a wrapped array (of one row's worth of a batched value)."""
    while isinstance(value, Value):
        physical = getattr(value, "_physical", None)
        value = value._data if physical is None else physical
    return value


class ValueNotSaved:
    """Stands in a node for an input whose value the needed rules do not read.

    It has the input's ``shape``, ``dtype``, ``device`` and ``ndim`` (what rules
    read to shape their results) but not its values, which the node does not
    keep (``Op.reads``).  Any other use raises, naming the op: a rule that reads
    a value its record declares unread is a bug of the table, never a silently
    wrong gradient.  The device is the cotangent's, looked up only when asked.
    """

    __slots__ = ("_node", "_position", "_like")

    def __init__(self, node, position: int, like):
        self._node = node
        self._position = position
        self._like = like

    @property
    def shape(self):
        return self._node.edges[self._position][2]

    @property
    def dtype(self):
        return self._node.edges[self._position][3]

    @property
    def device(self):
        return self._node.ns._device(_backend_array(self._like))

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)

    def _error(self):
        op = self._node.op
        name = op.arrays[0] if op.sequence else op.arrays[self._position]
        return _errors.value_not_saved(op.name, f"argument '{name}'")

    def __repr__(self):
        return f"<value of argument {self._position} of '{self._node.op.name}', not saved>"

    @property
    def __array_namespace__(self):
        # a property, so that even asking whether it is an array raises (hasattr lets
        # only AttributeError through)
        raise self._error()

    def __getattr__(self, name):
        raise self._error()


class _OutputNotSaved:
    """What a rule gets as ``out`` when its record does not read ``out``.

    Any use of it in a rule fails loudly (a wrong gradient is never returned
    silently): declare ``"out"`` among the record's reads so the output is saved.
    """

    __slots__ = ()

    def __repr__(self):
        return "<output not saved: declare 'out' in the op record's reads to read it>"

    def __getattr__(self, name):
        raise AttributeError(f"{self!r} (attribute {name!r} requested)")


OUTPUT_NOT_SAVED = _OutputNotSaved()


# ---------------------------------------------------------------------------
# Generated VJP runners
# ---------------------------------------------------------------------------

_RUNNER = """\
def run(node, ct):
    primals = node.primals
    if primals is None:
        raise _errors.freed_graph(_name)
    for position, cell, version in node.saved:
        if cell[0] != version or (position >= 0 and primals[position]._version is not cell):
            node.check_versions()
    ns = node.ns._raw
{read}    {unpack} = primals
{arguments}
{out}{params}    {edges} = node.edges
{rules}
    return ({results})
"""

_ARGUMENT = """\
    if isinstance(p{i}, _Value):
        p{i} = p{i}._data
    elif p{i} is _NOT_KEPT:  # a ValueNotSaved(node, {i}, ct), without the call to __init__
        p{i} = _new(_ValueNotSaved)
        p{i}._node = node
        p{i}._position = {i}
        p{i}._like = ct
    elif p{i} is not None and (read is None or {i} in read):
        p{i} = ns._constant(p{i}, ct)
"""

# the one input of an op of one array is in a graph: a wrapped array, or not kept
_ARGUMENT_ONE = """\
    if p0 is _NOT_KEPT:  # a ValueNotSaved(node, 0, ct), without the call to __init__
        p0 = _new(_ValueNotSaved)
        p0._node = node
        p0._position = 0
        p0._like = ct
    else:
        p0 = p0._data
"""

_RULE = """\
    if e{i} is None:
        r{i} = None
    else:
        r{i} = _rule{i}(ns, ct, {arguments}, out=out{params})
        if r{i} is not None and not (getattr(r{i}, "dtype", None) is e{i}[3] and
                                    r{i}.shape == e{i}[2]):
            r{i} = _fit(ns, r{i}, e{i}[2], e{i}[3], _op)
"""

# an elementwise rule ``ct * conj(d)`` of one array (``_op.elementwise``), its local
# derivative called here; the result has the input's shape by construction (``ct`` has
# the output's, which is the input's; ``d`` is taken elementwise)
_ELEMENTWISE_RULE_ONE = """\
    if e0 is None:
        r0 = None
    else:
        r0 = ct * _conj(ns, _d0(ns, p0, out))
        if r0.dtype is not e0[3]:
            r0 = _fit(ns, r0, e0[2], e0[3], _op)
"""

_MISSING_RULE = """\
    if e{i} is None:
        r{i} = None
    else:
        raise _errors.vjp_not_defined(_name, {name!r})
"""


def compiled_vjp(op) -> tuple:
    """The VJP of ``op`` for a backward that records nothing, as one generated function
    ``run(node, ct)``: ``(rules, run)``, ``run`` ``None`` where the general
    :meth:`Node.vjp` is needed.  Cached in ``op.runner`` for the rules it was
    made from (``rules``: ``op.vjp`` then).

    ``run`` does what :meth:`Node.vjp` does for a node with one output whose
    rules are a mapping run on backend arrays, unrolled over the op's array
    parameters: check the saved versions, turn the kept inputs into the
    rules' arguments, call the rule of each input needing a gradient, fit the
    results.  Made once per op, on the first backward through it.
    """
    rules = op.vjp
    if op.sequence or op.user_rules or not isinstance(rules, Mapping) or not op.arrays:
        entry = (rules, None)
        object.__setattr__(op, "runner", entry)  # a cache on the frozen record
        return entry
    n = len(op.arrays)
    arguments = ", ".join(f"p{i}" for i in range(n))
    takes_params = any(p.name not in op.arrays for p in parameters(op.signature))
    scope = {"_errors": _errors, "_name": op.name, "_op": op, "_Value": Value,
             "_NOT_KEPT": NOT_KEPT, "_ValueNotSaved": ValueNotSaved, "_new": _new,
             "_OUTPUT_NOT_SAVED": OUTPUT_NOT_SAVED, "_fit": fit_cotangent,
             "_conj": conj}
    rule_code = []
    for i, name in enumerate(op.arrays):
        rule = rules.get(name)
        if rule is None:
            rule_code.append(_MISSING_RULE.format(i=i, name=name))
        elif n == 1 and getattr(rule, "local_derivative", None) is not None:
            scope["_d0"] = rule.local_derivative
            rule_code.append(_ELEMENTWISE_RULE_ONE)
        else:
            scope[f"_rule{i}"] = rule
            rule_code.append(_RULE.format(i=i, arguments=arguments,
                                          params=", **params" if takes_params else ""))
    source = _RUNNER.format(
        unpack=arguments + ("," if n == 1 else ""),
        read="" if n == 1 else "    read = node.read\n",
        # a node keeps its output only for an op whose rules read it
        out="    out = node.out\n    out = _OUTPUT_NOT_SAVED if out is None else out[0]\n"
        if op.reads_out else "    out = _OUTPUT_NOT_SAVED\n",
        arguments=_ARGUMENT_ONE if n == 1 else "".join(_ARGUMENT.format(i=i) for i in range(n)),
        params="    params = node.params\n" if takes_params else "",
        edges=", ".join(f"e{i}" for i in range(n)) + ("," if n == 1 else ""),
        rules="".join(rule_code),
        results=", ".join(f"r{i}" for i in range(n)) + ("," if n == 1 else ""))
    entry = (rules, generated(source, "run", scope, f"VJP of {op.name}", __name__))
    object.__setattr__(op, "runner", entry)  # a cache on the frozen record
    return entry


def kept_inputs(op, needed: int) -> tuple:
    """What a node of ``op`` keeps when bit ``i`` of ``needed`` says input ``i`` needs a
    gradient: ``(flags, checked, out_read)``.

    ``flags``: per input, whether the node keeps it (an input is kept when a
    needed rule reads its value, ``Op.reads``, or when it needs no gradient);
    for a sequence op, ``None`` when its values are read (all kept) and
    ``False`` when none is.  ``checked``: the positions of the kept array
    inputs to check against in-place changes (``None``: a sequence, all of
    them).  ``out_read``: whether a needed rule reads the output's values (then
    it is saved and checked).  Cached on the record, per mask.
    """
    entry = op.kept.get(needed)
    if entry is not None:
        return entry
    names = op.arrays
    # a sequence op's bits run over the sequence's arrays, all under one name
    needing = names[:1] if op.sequence else \
        [name for i, name in enumerate(names) if needed >> i & 1]
    read: set = set()
    for name in needing:
        read.update(op.reads_of(name))
    if op.sequence:
        flags = None if names[0] in read else False
        checked = None if flags is None else ()
    else:
        # inputs needing no gradient are constants: kept (a Python scalar costs nothing)
        flags = tuple(name in read or not needed >> i & 1 for i, name in enumerate(names))
        checked = tuple(i for i, name in enumerate(names) if name in read)
    entry = op.kept[needed] = (flags, checked, "out" in read)
    return entry


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


# ---------------------------------------------------------------------------
# The recorder
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# Saved values and in-place writes: copy on write
# ---------------------------------------------------------------------------

#: how many arrays :func:`preserve_saved` copied (tests count them)
copies = 0


def register_savers(node) -> None:
    """Note ``node`` in the version cell of every array it saved.

    A version cell is a list: its first item counts the in-place writes into
    the buffer, the others are weak references to the nodes that saved a value
    of it, so that a write can give them the old value first
    (:func:`preserve_saved`).  Dead and released nodes are pruned as the list
    grows.
    """
    ref = weakref.ref(node)
    for entry in node.saved:
        cell = entry[1]
        cell.append(ref)
        if len(cell) > 33:
            _prune(cell)


def _prune(cell: list) -> None:
    """Drop the references to dead and released nodes from a version cell."""
    cell[1:] = [r for r in cell[1:] if (n := r()) is not None and n.primals is not None]


def preserve_saved(array, copy: bool = True) -> None:
    """Before ``array``'s buffer is written in place, or before ``array`` moves to a new
    buffer: every live node that saved a value of it keeps the old one.

    Beyond PyTorch, which makes such a backward raise: the node's kept input (or
    its saved output) becomes a copy of the old values, made then and only then
    (``copy=False``: the old buffer itself, for a write that goes to a new
    buffer), with a version counter of its own, so the gradient stays right.
    Nothing is copied when no live node saved the array; every alias of the
    buffer (views share the counter) is covered.
    """
    cell = array._version
    if len(cell) == 1:
        return
    version = cell[0]
    refs = cell[1:]
    del cell[1:]
    kept: dict = {}  # id of an old buffer -> what the nodes keep instead

    def keep(data, xp):
        global copies
        if not copy:
            return data
        found = kept.get(id(data))
        if found is None:
            found = kept[id(data)] = (xp.asarray(data, copy=True), data)
            copies += 1
        return found[0]

    for ref in refs:
        node = ref()
        if node is None or node.primals is None:
            continue
        if not any(c is cell and v == version for _, c, v in node.saved):
            continue
        primals = list(node.primals)
        out = list(node.out) if node.out is not None else None
        xp = node.ns._xp
        saved = []
        for position, c, v in node.saved:
            if c is not cell or v != version:
                saved.append((position, c, v))
                continue
            fresh = [v]
            if position >= 0:
                p = primals[position]
                primals[position] = type(p)._from_node(keep(p._data, xp), p._ns, p._node,
                                                       p._index, fresh, p._tangents)
            elif out is not None:
                out[-1 - position] = keep(out[-1 - position], xp)
            saved.append((position, fresh, v))
        node.primals = tuple(primals)
        if out is not None:
            node.out = tuple(out)
        node.saved = tuple(saved)


# view ops whose result always shares the base's buffer on backends that write in place
# (``reshape`` may copy: a stale reshape is not regenerated, it raises)
_ALIASING_VIEWS = frozenset({"__getitem__", "permute_dims", "matrix_transpose",
                             "expand_dims", "squeeze"})


def _edge(p) -> tuple:
    """The tape edge to an input in a graph: ``(parent, index, shape, dtype)``.

    A view (basic indexing, ``permute_dims``...) whose base was written in place
    after it was taken is regenerated from its base, as PyTorch does: where the
    backend writes into the buffer itself, the view's values are already the new
    ones, and it is taken again from the base so that its history is the base's
    new one.

    Raises
    ------
    RuntimeError
        ``p`` is such a view whose values are stale: its base moved to a new
        buffer (a recorded ``x op= y``), or the backend's writes make new arrays
        (JAX, Dask).
    """
    parent = p._node
    if type(parent) is Node and parent.view_version is not None and \
            parent.view_version != p._version[0]:
        base = parent.primals[0] if parent.primals is not None else None
        if not (parent.op.name in _ALIASING_VIEWS and isinstance(base, Value) and
                base._version is p._version and p._ns._raw is not None):
            raise _errors.stale_view(p, parent.op.name)
        fresh = p._ns._function(parent.op.name)(base, **parent.params)
        p._data, p._node, p._index = fresh._data, fresh._node, fresh._index
        parent = p._node
    data = p._data
    return parent, p._index, data.shape, data.dtype


def _kept(op, primals: tuple, needed: int | None) -> tuple:
    """``(stored primals, saved version checks, out_read, read)`` of a node of ``op``.

    ``needed`` has bit ``i`` set when input ``i`` needs a gradient (``None``:
    keep and check every input, as for a view, whose base must stay).  ``read``:
    the positions whose values the needed rules read (``None``: all of them).
    """
    if needed is None:
        # every input kept, those the rules read checked
        _, checked, out_read = kept_inputs(op, (1 << len(primals)) - 1)
        flags = None
    else:
        flags, checked, out_read = kept_inputs(op, needed)
    if op.sequence:
        if flags is False:
            return tuple(NOT_KEPT if isinstance(p, Value) and p._node is not None else p
                         for p in primals), (), out_read, None
        return primals, tuple((i, p._version, p._version[0]) for i, p in enumerate(primals)
                              if isinstance(p, Value)), out_read, None
    if flags is not None and not all(flags):
        primals = tuple([p if keep else NOT_KEPT for p, keep in zip(primals, flags)])
    saved = []
    for i in checked:
        p = primals[i]
        if isinstance(p, Value):
            saved.append((i, p._version, p._version[0]))
    return primals, tuple(saved), out_read, checked


def record_one(op, ns, primals: tuple, params: dict, result):
    """Record ``op`` for one backend array out, not a view, recording on (the ops of
    more than two arrays; those of one and two have this inlined, ``RECORD_TWO``).

    ``result`` is the wrapped output, already built by the caller; the node and
    the forward-mode tangents are attached to it.
    """
    out = result._data
    if not ns._is_float_dtype(out.dtype):
        return result
    edges = []
    needed = 0  # bit i: input i needs a gradient
    has_tangents = False
    for i, p in enumerate(primals):
        if isinstance(p, Value):
            if p._node is not None:
                edges.append(_edge(p))  # checks a view is not stale
                needed |= 1 << i
            else:
                edges.append(None)
            if p._tangents:
                has_tangents = True
        else:
            edges.append(None)
    node = None
    if needed:
        stored, saved, out_read, read = _kept(op, primals, needed)
        if out_read:
            saved += ((-1, result._version, 0),)
        result._node = node = Node(op, ns, stored, params, tuple(edges),
                                   (out,) if op.reads_out else None, 1, saved, read)
        if saved:
            register_savers(node)
    if has_tangents:
        forward_tangents(op, ns, _with_constants(ns, primals, out), params, [result],
                         (True,), False)
        if node is not None and op.reads_out:
            # rules reading ``out`` need its tangents (forward-over-reverse)
            node.out_tangents = (result._tangents,)
    return result


# ---------------------------------------------------------------------------
# The recorder of one- and two-array ops, as source text
# ---------------------------------------------------------------------------
#
# The dispatcher's hot path (``_array_object.DISPATCH_ONE``/``DISPATCH_TWO``) has
# this text inlined where an input is in a graph and recording is on: with the
# names of that text (``_x``, ``_data``, ``_out``, ``_result``, ``_params``; ``_x1``,
# ``_x2`` for two arrays) it builds the node and attaches it to ``_result``, as
# :func:`record_one` does (one output, not a view, no forward-mode tangent).  For an
# op of one array, what the node keeps is known when the function is built
# (:func:`record_text_one`); for two it depends on which inputs are in a graph.

_RECORD_ONE = """\
            _x_dtype = _data.dtype
            # an input in a graph has a floating dtype: so has an output of the same dtype
            if _out.dtype is not _x_dtype and not _ns._is_float_dtype(_out.dtype):
                return _result
            _parent = _x._node
            if type(_parent) is _Node and _parent.view_version is None:
                _edge = (_parent, _x._index, _data.shape, _x_dtype)
                _leaf = _parent.leaf
            else:  # a leaf, or a view (checked not to be stale)
                _edge, _leaf = _edge_and_leaf(_x)
            _result._node = _node = _new(_Node)
            _node.leaf = _leaf
            _node.op = _op
            _node.ns = _ns
            _node.seq = _next(_sequence)
            _node.params = _params
            _node.edges = (_edge,)
            _node.read = {checked}
"""

# what the node keeps, per what its rule reads
_KEEP_X = """\
            _node.primals = (_x,)
            _cell = _x._version
            if len(_cell) > 32:
                _prune(_cell)
"""
_KEEP_NOTHING = """\
            _node.primals = _NOT_KEPT_ONE
"""
_SAVE_X = """\
            _node.out = None
            _node.saved = ((0, _cell, _cell[0]),)
            _cell.append(_weakref(_node))
"""
_SAVE_OUT = """\
            _node.out = (_out,)
            _node.saved = ((-1, _result._version, 0),)
            _result._version.append(_weakref(_node))
"""
_SAVE_BOTH = """\
            _node.out = (_out,)
            _node.saved = ((0, _cell, _cell[0]), (-1, _result._version, 0))
            _ref = _weakref(_node)
            _cell.append(_ref)
            _result._version.append(_ref)
"""
_SAVE_NOTHING = """\
            _node.out = None
            _node.saved = ()
"""


def record_text_one(op) -> str:
    """The recorder of ``op``, an op of one array, as text for the dispatcher's hot path."""
    _, checked, out_read = kept_inputs(op, 1)
    if checked:
        keep = _KEEP_X + (_SAVE_BOTH if out_read else _SAVE_X)
    else:
        keep = _KEEP_NOTHING + (_SAVE_OUT if out_read else _SAVE_NOTHING)
    return _RECORD_ONE.format(checked=repr(checked)) + keep


# one input of two: its edge and leaf when it is in a graph
_RECORD_INPUT = """\
        if type(_x{i}) is _Array and _x{i}._node is not None:
            _needed |= {i}
            _parent = _x{i}._node
            if type(_parent) is _Node and _parent.view_version is None:
                _edge{i} = (_parent, _x{i}._index, _raw{i}.shape, _raw{i}.dtype)
                _leaf{i} = _parent.leaf
            else:
                _edge{i}, _leaf{i} = _edge_and_leaf(_x{i})
            _tracked_dtype = _edge{i}[3]
"""

RECORD_TWO = """\
        _needed = 0
        _edge1 = _edge2 = _leaf1 = _leaf2 = _tracked_dtype = None
""" + _RECORD_INPUT.format(i=1) + _RECORD_INPUT.format(i=2) + """\
        _leaf = _leaf2 if _leaf1 is None or _leaf1 is _leaf2 else \\
            _leaf1 if _leaf2 is None else _MANY_LEAVES
        # an input in a graph has a floating dtype: so has an output of the same dtype
        if _out.dtype is not _tracked_dtype and not _ns._is_float_dtype(_out.dtype):
            return _result
        _plan = _op.kept.get(_needed)
        if _plan is None:
            _plan = _kept_inputs(_op, _needed)
        (_keep1, _keep2), _checked, _out_read = _plan
        if _checked:
            _saved = []
            for _i in _checked:
                _p = _x2 if _i else _x1
                if type(_p) is _Array:
                    _cell = _p._version
                    _saved.append((_i, _cell, _cell[0]))
            if _out_read:
                _saved.append((-1, _result._version, 0))
            _saved = tuple(_saved)
        else:
            _saved = ((-1, _result._version, 0),) if _out_read else ()
        _result._node = _node = _new(_Node)
        _node.leaf = _leaf
        _node.op = _op
        _node.ns = _ns
        _node.seq = _next(_sequence)
        _node.primals = (_x1 if _keep1 else _NOT_KEPT, _x2 if _keep2 else _NOT_KEPT)
        _node.params = _params
        _node.edges = (_edge1, _edge2)
        _node.out = (_out,) if _out_read else None
        _node.saved = _saved
        _node.read = _checked
        if _saved:
            _register_savers(_node)
"""


def recording_scope() -> dict:
    """The names the recording text uses (besides the dispatcher's)."""
    return {"_Node": Node, "_new": _new, "_next": next, "_sequence": _sequence,
            "_edge_and_leaf": _edge_and_leaf, "_prune": _prune, "_weakref": weakref.ref,
            "_NOT_KEPT": NOT_KEPT, "_NOT_KEPT_ONE": _NOT_KEPT_ONE,
            "_MANY_LEAVES": MANY_LEAVES, "_kept_inputs": kept_inputs,
            "_register_savers": register_savers}


def _edge_and_leaf(p) -> tuple:
    """``(edge, leaf)`` of an input whose parent is a leaf or a view (:func:`_edge`)."""
    edge = _edge(p)
    parent = edge[0]
    return edge, (parent.leaf if type(parent) is Node else parent)


def record(op, ns, primals: tuple, params: dict, out):
    """Record ``op`` on the tape and propagate forward-mode tangents (the general case).

    Handles several outputs, views of an input (which share its version
    counter), outputs that are not backend arrays, and forward mode without
    recording.
    """
    new = ns.Array._from_node
    multi = isinstance(out, (tuple, list))
    is_float = ns._is_float_dtype
    if multi:
        raw_outs = tuple(ns._as_array(o) for o in out)
        differentiable = tuple(is_float(o.dtype) for o in raw_outs)
    else:
        raw_outs = (out if type(out) is ns._array_type else ns._as_array(out),)
        differentiable = (is_float(raw_outs[0].dtype),)
    version = primals[0]._version if op.view and isinstance(primals[0], Value) and \
        (op.view is True or op.view(params)) else None
    if not any(differentiable):
        return ns._wrap(out, version)
    recording = state.recording
    if not multi and not recording:
        # Not recording (e.g. a rule run by a backward without create_graph):
        # without tangents to carry there is only the result to build.
        for p in primals:
            if isinstance(p, Value) and p._tangents:
                break
        else:
            return new(raw_outs[0], ns, None, 0, version if version is not None else [0], None)

    node = None
    if recording:
        edges = []
        needed = 0
        for i, p in enumerate(primals):
            if isinstance(p, Value) and p._node is not None:
                edges.append(_edge(p))
                needed |= 1 << i
            else:
                edges.append(None)
        if needed:
            # a view keeps its base (to write through it; the memory is shared anyway)
            stored, saved, out_read, read = _kept(op, primals, None if version is not None
                                                  else needed)
            node = Node(op, ns, stored, params, tuple(edges),
                        raw_outs if op.reads_out else None, len(raw_outs), saved, read)
    results = []
    for i, raw in enumerate(raw_outs):
        cell = version if version is not None else [0]
        results.append(new(raw, ns, node if node is not None and differentiable[i] else None,
                           i, cell, None))
    if node is not None:
        if out_read:
            node.saved = saved + tuple((-1 - i, r._version, r._version[0])
                                       for i, r in enumerate(results))
        if node.saved:
            register_savers(node)
        node.multi = multi
        if version is not None:
            node.view_version = version[0]
        if multi:
            node.out_meta = tuple((tuple(r.shape), r.dtype) for r in raw_outs)
    for p in primals:
        if isinstance(p, Value) and p._tangents:
            forward_tangents(op, ns, _with_constants(ns, primals, raw_outs[0]), params,
                             results, differentiable, multi)
            if node is not None and op.reads_out:
                # rules reading ``out`` need its tangents (forward-over-reverse)
                node.out_tangents = tuple(r._tangents for r in results)
            if node is None and version is not None and not multi:
                remember_forward_view(results[0], primals[0], op, params)
            break
    if multi:
        return ns._rebuild(out, results)
    return results[0]


def _with_constants(ns, primals: tuple, like) -> tuple:
    """``primals`` with Python scalars and backend arrays as wrapped constants."""
    new = ns.Array._from_node
    return tuple(p if p is None or isinstance(p, Value) else new(ns._constant(p, like), ns,
                                                                   None, 0)
                 for p in primals)


# ---------------------------------------------------------------------------
# Forward mode
# ---------------------------------------------------------------------------

@contextlib.contextmanager
def dual_level():
    """Open a new forward-mode level; yields its number (levels are never reused)."""
    level = next(levels)
    state.open_levels.add(level)
    try:
        yield level
    finally:
        state.open_levels.discard(level)


def make_dual(primal, tangent, level: int):
    """A wrapper of ``primal`` (same data and history) carrying ``tangent`` at ``level``.

    Raises
    ------
    ValueError
        ``tangent`` has a different shape than ``primal``.
    TypeError
        ``tangent`` is an integer or boolean array, or complex for a real
        ``primal`` (or real for a complex one).
    """
    ns = primal._ns
    if not isinstance(tangent, Value):
        # a Python number takes the primal's dtype (a weak scalar, as in JAX)
        tangent = ns.asarray(tangent, dtype=primal.dtype) if type(tangent) in (int, float) \
            else ns.asarray(tangent)
    if not ns._is_float_dtype(tangent.dtype):
        raise _errors.integer_gradient("tangent", tangent.dtype)
    if ns._is_complex_dtype(tangent.dtype) != ns._is_complex_dtype(primal.dtype):
        raise _errors.complex_mismatch("tangent", tangent.dtype, primal.dtype)  # as JAX
    if tangent.shape != primal.shape:
        raise _errors.tangent_shape(tangent.shape, primal.shape)
    if tangent.dtype != primal.dtype:
        tangent = ns.astype(tangent, primal.dtype)
    tangents = dict(primal._tangents) if primal._tangents else {}
    tangents[level] = tangent
    return type(primal)._from_node(primal._data, ns, primal._node, primal._index,
                                   primal._version, tangents)


def unpack_dual(value, level: int):
    """``(primal, tangent)`` of ``value`` at ``level``; the tangent is zeros if absent.

    The primal keeps the tangents of the other (outer) levels and its history.
    """
    tangents = value._tangents or {}
    tangent = tangents.get(level)
    if tangent is None:
        tangent = value._ns.zeros_like(value)
    rest = {k: v for k, v in tangents.items() if k != level}
    primal = type(value)._from_node(value._data, value._ns, value._node, value._index,
                                    value._version, rest or None)
    return primal, tangent


def jvp_arrays(f, primals: tuple, tangents: tuple):
    """JVP of ``f`` at array ``primals`` along array ``tangents``: ``(f(*primals), J @ t)``.

    ``f`` returns one array.  The public transform with pytrees is
    :func:`arrayapi_autograd.jvp`.
    """
    with dual_level() as level:
        duals = tuple(make_dual(p, t, level) for p, t in zip(primals, tangents))
        out = f(*duals)
        return unpack_dual(out, level)


def forward_tangents(op, ns, primals, params, results, differentiable, multi):
    """Compute the output tangents of one operation for every open level."""
    open_levels = set()
    for p in primals:
        if isinstance(p, Value) and p._tangents:
            open_levels.update(p._tangents)
    open_levels &= state.open_levels  # tangents of closed levels are inert
    if not open_levels:
        return
    rules = op.jvp
    for level in sorted(open_levels):
        lowered = tuple(lower(p, level) for p in primals)
        tangents = tuple(p._tangents.get(level) if isinstance(p, Value) and p._tangents
                         else None for p in primals)
        outs = tuple(lower(r, level) for r in results)
        out = outs if multi else outs[0]
        if rules is None:
            raise _errors.jvp_not_defined(op.name, op.arrays[0])
        if callable(rules):
            t_out = rules(ns, tangents, *lowered, out=out, **params)
        else:
            t_out = None
            names = op.arrays
            for i, t in enumerate(tangents):
                if t is None:
                    continue
                rule = rules.get(names[i])
                if rule is None:
                    raise _errors.jvp_not_defined(op.name, names[i])
                term = rule(ns, t, *lowered, out=out, **params)
                t_out = term if t_out is None else t_out + term
        if not multi:
            t_out = (t_out,)
        for r, t, diff in zip(results, t_out, differentiable):
            if t is None or not diff:
                continue
            if not isinstance(t, Value):
                t = ns.asarray(t)
            if t.shape != r.shape and not same_shape(t.shape, r.shape):
                t = ns.broadcast_to(t, r.shape)
            if t.dtype != r.dtype:
                t = ns.astype(t, r.dtype)
            if r._tangents is None:
                r._tangents = {}
            r._tangents[level] = t


def lower(p, level):
    """``p`` seen from inside ``level``: tangents of this and inner levels removed."""
    if not isinstance(p, Value) or not p._tangents:
        return p
    kept = {k: v for k, v in p._tangents.items() if k < level}
    return type(p)._from_node(p._data, p._ns, p._node, p._index, p._version, kept or None)


# Views taken while tangents were carried but nothing recorded (jvp, jacfwd), by id:
# (weak reference to the view, base, op, params), so that writing into the view also
# updates the base's tangent.  An entry goes with its view.
FORWARD_VIEWS: dict = {}


def remember_forward_view(view, base, op, params) -> None:
    key = id(view)
    ref = weakref.ref(view, lambda _, key=key: FORWARD_VIEWS.pop(key, None))
    FORWARD_VIEWS[key] = (ref, base, op, params)


# ---------------------------------------------------------------------------
# The reverse sweep
# ---------------------------------------------------------------------------

def fit_cotangent(ns, ct, shape, dtype, op=None):
    """Sum a cotangent back to a broadcast input's ``shape`` and cast it to ``dtype``.

    Parameters
    ----------
    ns : Namespace
        The namespace the rules ran with (``ns._raw`` for backend arrays).
    ct : Array or backend array
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
    try:
        ct_shape = ct.shape
        ct_dtype = ct.dtype
    except AttributeError:  # a Python scalar
        ct = ns.asarray(ct, dtype=dtype)
        ct_shape = ct.shape
        ct_dtype = ct.dtype
    if (ct_dtype is dtype or ct_dtype == dtype) and ct_shape == shape:
        return ct  # the common case: nothing to fit
    ct_shape = tuple(ct_shape)
    if ct_shape != shape and not same_shape(ct_shape, tuple(shape)):
        lead = len(ct_shape) - len(shape)
        if lead < 0:
            raise _errors.cotangent_shape(op, ct_shape, tuple(shape))
        if lead:
            ct = ns.sum(ct, axis=tuple(range(lead)))
        ones = tuple(i for i, n in enumerate(shape) if n == 1 and ct.shape[i] != 1)
        if ones:
            ct = ns.sum(ct, axis=ones, keepdims=True)
        if not same_shape(tuple(ct.shape), tuple(shape)):
            raise _errors.cotangent_shape(op, ct_shape, tuple(shape))
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
        if not isinstance(replaced, Value) or \
                not same_shape(tuple(replaced.shape), tuple(ct.shape)):
            raise _errors.hook_result(hook, replaced, ct)
        ct = replaced
    return ct


def _run_hooks_raw(ns, hooks, ct, raw: bool):
    """:func:`run_hooks` on a backend cotangent (hooks see and return wrapped arrays)."""
    if not raw:
        return run_hooks(hooks, ct)
    return run_hooks(hooks, ns._wrap(ct))._data


def _accumulate(a, b):
    return b if a is None else a + b


def _nodes_to_targets(heads: Sequence, target_parents: set, target_keys: dict) -> set | None:
    """The nodes reachable from ``heads`` whose VJP leads to a target, or ``None`` when
    that is all of them.

    ``target_parents``: the targets' nodes or leaves.  Every node has an edge to
    a node or a leaf, so when every leaf reachable from the heads is a target
    (and no target is an intermediate result) each node leads to a target: the
    common case, known without a walk when each head's paths end at one leaf
    (``Node.leaf``), else from one walk.  Otherwise, parents being recorded
    before their consumers, visiting the reachable nodes in increasing sequence
    order decides each parent before its users.
    """
    all_leaves = not any(type(t) is Node for t in target_parents)
    if all_leaves and all(type(h._node) is not Node or
                          (type(h._node.leaf) is Leaf and h._node.leaf in target_parents)
                          for h in heads):
        return None  # each head's graph ends at one leaf, a target: no walk needed
    reachable: dict = {}  # insertion-ordered set
    stack = [h._node for h in heads if type(h._node) is Node]
    while stack:
        node = stack.pop()
        if node in reachable:
            continue
        reachable[node] = None
        for edge in node.edges:
            if edge is not None:
                parent = edge[0]
                if type(parent) is Node:
                    if parent not in reachable:
                        stack.append(parent)
                elif all_leaves and parent not in target_parents:
                    all_leaves = False  # a leaf that is no target: some nodes may not lead to one
    if all_leaves:
        return None
    needed: set = set()
    for node in sorted(reachable, key=_by_sequence):
        for edge in node.edges:
            if edge is not None:
                parent = edge[0]
                if parent in needed or (parent in target_parents and
                                        (id(parent), edge[1]) in target_keys):
                    needed.add(node)
                    break
    return needed


_by_sequence = operator.attrgetter("seq")


def _head_cotangent(head, ct, create_graph: bool):
    """The head cotangent as a wrapped array of the head's shape and dtype."""
    ns = head._ns
    if ct is None:
        if ns._is_complex_dtype(head.dtype):
            raise _errors.implicit_complex_head(head)
        return ns.ones_like(head)
    if isinstance(ct, Value) and getattr(ct, "_ns", ns) is not ns:
        raise _errors.mixed_namespaces(ns, ct._ns)
    if not isinstance(ct, Value):
        # a Python number takes the head's dtype (a weak scalar, as in JAX)
        ct = ns.asarray(ct, dtype=head.dtype) if type(ct) in (int, float) else ns.asarray(ct)
    if not ns._is_float_dtype(ct.dtype):
        raise _errors.integer_gradient("head gradient (cotangent)", ct.dtype)
    if ns._is_complex_dtype(ct.dtype) != ns._is_complex_dtype(head.dtype):
        # dropping an imaginary part (or inventing one) would be silently wrong (PyTorch)
        raise _errors.complex_mismatch("head gradient (cotangent)", ct.dtype, head.dtype)
    if not same_shape(ct.shape, head.shape):
        raise _errors.head_gradient_shape(head, ct)
    if ct.dtype != head.dtype:
        ct = ns.astype(ct, head.dtype)
    if not create_graph:
        # cut from its graph, keeping its forward-mode tangents (forward-over-reverse:
        # the tangent of the head cotangent is part of the result and must flow)
        ct = ct._without_history()
    return ct


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
    TypeError
        A head gradient is an integer or boolean array.
    """
    if len(heads) != len(head_cts):
        raise _errors.head_gradient_count(len(heads), len(head_cts))
    pending: dict[Node, list] = {}
    heap: list = []
    leaf_totals: dict[Leaf, Any] = {}
    target_keys: dict = {}
    if targets is not None:
        for i, t in enumerate(targets):
            target_keys.setdefault((id(t._node), t._index), []).append(i)
        found: list = [None] * len(targets)
    target_nodes = {t._node for t in targets} if targets is not None else ()
    # autograd.grad runs only the nodes that lead to a target (PyTorch's exec_info):
    # the sweep stops at the targets and leaves the rest of the graph untouched.
    needed = _nodes_to_targets(heads, target_nodes, target_keys) if targets is not None and \
        not write_leaves else None

    previous = state.recording
    state.recording = create_graph
    # the rules' intermediate infinities and NaNs (a branch that a where masks) are no
    # news to the user: NumPy's warnings about them stay quiet, as PyTorch has none
    quiet = np.errstate(divide="ignore", invalid="ignore", over="ignore")
    quiet.__enter__()
    try:
        cts = []
        for head, ct in zip(heads, head_cts):
            if head._node is None:
                raise _errors.not_in_graph(head)
            cts.append(_head_cotangent(head, ct, create_graph))
        # nothing to record: the rules run on the backend's arrays
        raw = not create_graph and not state.open_levels and bool(heads) and \
            heads[0]._ns._raw is not None and \
            all(type(ct) is type(head) and not ct._tangents for head, ct in zip(heads, cts))
        ns = heads[0]._ns if heads else None
        for head, ct in zip(heads, cts):
            if raw:
                ct = ct._data
            node = head._node
            if isinstance(node, Leaf):
                leaf_totals[node] = _accumulate(leaf_totals.get(node), ct)
                continue
            slot = pending.get(node)
            if slot is None:
                slot = pending[node] = [None] * node.n_out
                heapq.heappush(heap, (-node.seq, node))
            slot[head._index] = _accumulate(slot[head._index], ct)

        heappush, heappop = heapq.heappush, heapq.heappop
        # Nodes run in decreasing sequence order (a node after all its consumers).  A
        # node's one new parent while the heap is empty is the only one pending, hence
        # the next to run: it skips the heap (a chain of ops never touches it).
        following = following_cts = None
        while True:
            if following is not None:
                node, cts = following, following_cts
                following = None
            elif heap:
                node = heappop(heap)[1]
                cts = pending.pop(node)
            else:
                break
            if node.hooks:
                for index, hooks in node.hooks.items():
                    if cts[index] is not None:
                        cts[index] = _run_hooks_raw(node.ns, hooks, cts[index], raw)
            if targets is not None:  # autograd.grad: capture the targets, skip the rest
                if node in target_nodes:
                    for index, c in enumerate(cts):
                        for position in target_keys.get((id(node), index), ()):
                            found[position] = c
                if needed is not None and node not in needed:
                    continue
            if raw and not node.multi:
                op = node.op
                runner = op.runner
                if runner is None or runner[0] is not op.vjp:
                    runner = compiled_vjp(op)
                run = runner[1]
                input_cts = node.vjp(cts, raw) if run is None else run(node, cts[0])
            else:
                input_cts = node.vjp(cts, raw)
            for edge, ct in zip(node.edges, input_cts):
                if edge is None or ct is None:
                    continue
                parent, index = edge[0], edge[1]
                if needed is not None and parent not in needed and \
                        (id(parent), index) not in target_keys:
                    continue
                if type(parent) is Leaf:
                    total = leaf_totals.get(parent)
                    leaf_totals[parent] = ct if total is None else total + ct
                    continue
                slot = pending.get(parent)
                if slot is None:
                    if parent is following:
                        slot = following_cts
                    elif following is None and not heap:
                        following = parent  # kept out of the heap and of pending
                        following_cts = [None] * parent.n_out
                        following_cts[index] = ct
                        continue
                    else:
                        if following is not None:
                            pending[following] = following_cts
                            heappush(heap, (-following.seq, following))
                            following = None
                        slot = pending[parent] = [None] * parent.n_out
                        heappush(heap, (-parent.seq, parent))
                        slot[index] = ct
                        continue
                total = slot[index]
                slot[index] = ct if total is None else total + ct
            # free the saved values (a later backward through the node raises); a node that
            # saved none can run again, as in PyTorch (``sum(x + 1)`` backwards twice,
            # ``sum(sin(x))`` raises the second time)
            if not retain_graph and node.saved:
                node.primals = node.out = None
                node.saved = ()
                if node.out_tangents is not None:
                    node.out_tangents = None

        for leaf, total in leaf_totals.items():
            if raw:
                total = ns._wrap(total)
            if leaf.hooks:
                total = run_hooks(leaf.hooks, total)
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
        quiet.__exit__(None, None, None)
    if targets is None:
        return None
    if raw:
        found = [f if f is None or isinstance(f, Value) else ns._wrap(f) for f in found]
    return found

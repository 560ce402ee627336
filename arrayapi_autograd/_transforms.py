"""Function transforms: ``grad``, ``vjp``, ``jvp``, ``jacobian``, ``hessian``, ``gradcheck``.

The transforms of JAX (``jax.grad``, ``jax.vjp``, ``jax.jvp``, ``jax.jacrev``,
``jax.jacfwd``, ``jax.hessian``) and ``torch.func``, built on the tape:

* reverse mode (``grad``, ``value_and_grad``, ``vjp``, ``jacobian(mode="rev")``)
  records the function once and runs ``_tape.backward`` with ``targets`` and
  ``write_leaves=False``, so users' ``.grad`` fields are never touched and the
  sweep stops at the transform's own inputs;
* forward mode (``jvp``, ``jacobian(mode="fwd")``) opens a level of
  ``_tape.py`` and carries tangents through the function (one forward pass
  per tangent, no double-VJP trick);
* ``jacobian`` pushes every basis cotangent (or tangent) through in one pass,
  stacked along a leading axis as a ``BatchedArray`` that the op records'
  batching rules (``_batching.py``) compute on all at once, as JAX's ``vmap``
  of ``vjp``/``jvp`` does;
* ``hessian`` is forward-over-reverse (``jacfwd(jacrev(f))``, as JAX and
  ``torch.func.hessian``); ``hvp`` is ``jvp`` of ``grad``, as
  ``torch.autograd.functional.hvp`` returns it.

Nesting.  Each reverse-mode call makes a fresh input per differentiated leaf:
a new leaf of the tape that keeps the value and the forward-mode tangents of
the argument, or, when the argument already is in a recorded graph and
recording is on, ``+x`` (an identity op recorded on the tape), so that the
result stays differentiable with respect to the outer computation.  The
backward is recorded (``create_graph``) exactly when recording was on at the
call and the output depends on an array outside the transform's own inputs;
so ``grad(grad(grad(sin)))`` gives ``-cos``, ``jvp`` of ``grad`` is
forward-over-reverse and ``grad`` of ``jvp`` reverse-over-forward.

Complex numbers follow PyTorch: the gradient of a real function of complex
``z`` is the conjugate Wirtinger derivative times two, ``2 * dL/d(conj z)``
(``grad(lambda z: xp.sum(xp.abs(z) ** 2))(z) == 2 * z``).  JAX returns the
conjugate of that.  ``grad(f, holomorphic=True)`` of a complex-to-complex
holomorphic ``f`` returns the complex derivative ``f'(z)``, as JAX does: the
tape's VJP with cotangent 1 is ``conj(f'(z))`` in PyTorch's convention, so the
transform conjugates it.

Sources: JAX's ``_src/api.py`` (argnums, has_aux, holomorphic),
``torch/_functorch/eager_transforms.py`` (the same transforms in PyTorch),
PyTorch's "Autograd for Complex Numbers" note, and ``torch.autograd.gradcheck``.
"""

from __future__ import annotations

import functools
import math
import operator
from typing import Any, Callable, Sequence

from . import _batching, _errors, _tape
from ._array_object import Array
from ._batching import BatchedArray
from ._namespace import namespace
from ._tape import dual_level, enable_grad, make_dual, no_grad, unpack_dual

_REAL_SCALARS = (int, float)

__all__ = ["grad", "value_and_grad", "vjp", "jvp", "jacobian", "jacrev", "jacfwd",
           "hessian", "hvp", "gradcheck"]


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# Pytrees: arrays inside tuples, lists, dicts (jax.tree_util's idea)
# ---------------------------------------------------------------------------

class TreeDef:
    """The structure of a pytree, without its leaves.

    Attributes
    ----------
    kind : {"leaf", "tuple", "list", "dict", "namedtuple"}
    meta : None, type or tuple
        The namedtuple type, or the dict's keys in flattening order.
    children : tuple of TreeDef
    num_leaves : int
    """

    __slots__ = ("kind", "meta", "children", "num_leaves")

    def __init__(self, kind: str, meta, children: tuple):
        self.kind = kind
        self.meta = meta
        self.children = children
        self.num_leaves = 1 if kind == "leaf" else sum(c.num_leaves for c in children)

    def __eq__(self, other) -> bool:
        return (isinstance(other, TreeDef) and self.kind == other.kind
                and self.meta == other.meta and self.children == other.children)

    def __hash__(self):
        return hash((self.kind, self.children))

    def __repr__(self) -> str:
        if self.kind == "leaf":
            return "*"
        inner = ", ".join(map(repr, self.children))
        if self.kind == "dict":
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.meta, self.children))
            return "{" + inner + "}"
        return f"{self.kind}({inner})"


LEAF = TreeDef("leaf", None, ())


def _dict_keys(d: dict) -> tuple:
    try:
        return tuple(sorted(d))
    except TypeError:
        return tuple(d)


def flatten(tree) -> tuple[list, TreeDef]:
    """``(leaves, treedef)`` of ``tree``, leaves in depth-first order.

    Examples
    --------
    >>> leaves, treedef = flatten({"b": (1, 2), "a": 3})
    >>> leaves
    [3, 1, 2]
    >>> unflatten(treedef, [30, 10, 20])
    {'a': 30, 'b': (10, 20)}
    """
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree, leaves: list) -> TreeDef:
    if isinstance(tree, tuple):
        children = tuple(_flatten(c, leaves) for c in tree)
        if hasattr(tree, "_fields"):
            return TreeDef("namedtuple", type(tree), children)
        return TreeDef("tuple", None, children)
    if isinstance(tree, list):
        return TreeDef("list", None, tuple(_flatten(c, leaves) for c in tree))
    if isinstance(tree, dict):
        keys = _dict_keys(tree)
        return TreeDef("dict", keys, tuple(_flatten(tree[k], leaves) for k in keys))
    leaves.append(tree)
    return LEAF


def unflatten(treedef: TreeDef, leaves) -> Any:
    """The pytree of structure ``treedef`` holding ``leaves`` (inverse of :func:`flatten`)."""
    iterator = iter(leaves)
    result = _unflatten(treedef, iterator)
    return result


def _unflatten(treedef: TreeDef, iterator):
    kind = treedef.kind
    if kind == "leaf":
        return next(iterator)
    children = [_unflatten(c, iterator) for c in treedef.children]
    if kind == "tuple":
        return tuple(children)
    if kind == "list":
        return children
    if kind == "namedtuple":
        return treedef.meta(*children)
    return dict(zip(treedef.meta, children))


def tree_map(fn: Callable, tree) -> Any:
    """Apply ``fn`` to every leaf of ``tree``, keeping its structure."""
    leaves, treedef = flatten(tree)
    return unflatten(treedef, [fn(leaf) for leaf in leaves])

def _namespace_of(leaves: Sequence):
    """The wrapped namespace of the first array among ``leaves`` (or ``None``).

    A wrapped array gives its namespace; a bare backend array (NumPy, torch,
    array-api-strict...) gives the differentiable namespace over its backend.
    """
    for leaf in leaves:
        if isinstance(leaf, Array):
            return leaf._ns
    for leaf in leaves:
        if leaf is None or isinstance(leaf, (bool, int, float, complex, str)):
            continue
        import array_api_compat

        if array_api_compat.is_array_api_obj(leaf):

            return namespace(array_api_compat.array_namespace(leaf))
    return None


def _as_input(ns, value, position: str):
    """A differentiated argument as a floating-point Array of ``ns`` (``None`` stays)."""
    if value is None:
        return None
    if isinstance(value, Array):
        if value._ns is not ns:
            raise _errors.mixed_namespaces(ns, value._ns)
        array = value
    elif isinstance(value, bool):
        raise _errors.non_differentiable_argument(position, value)
    elif isinstance(value, _REAL_SCALARS):
        array = ns.asarray(float(value))
    elif isinstance(value, complex):
        array = ns.asarray(value)
    else:
        ns._check_foreign(value)
        array = ns.asarray(value)
    if not ns._is_float_dtype(array.dtype):
        raise _errors.non_differentiable_argument(position, array)
    return array


def _fresh(x: Array, outer_recording: bool) -> Array:
    """The array standing for ``x`` inside one reverse-mode transform.

    It is a target of the transform's backward and keeps ``x``'s forward-mode
    tangents.  When ``x`` is in a recorded graph and recording is on, it is
    ``+x`` (recorded), so the transform's result stays differentiable with
    respect to whatever ``x`` came from; otherwise a new leaf.
    """
    if outer_recording and x._node is not None:
        with enable_grad():
            return +x
    return Array._from_node(x._data, x._ns, _tape.Leaf(_ACTIVE), 0, x._version,
                            x._tangents)


# The ``grad_req`` of a transform's own leaves: active while the transform runs, done
# after it returned.  A done leaf is a constant for any transform around it, so reaching
# it does not make their backward recorded (their results stay free of history).
_ACTIVE, _DONE = "transform", "transform (done)"


def _reaches_outside(heads: Sequence, own: Sequence) -> bool:
    """Whether the graph of ``heads`` reaches a leaf other than the ``own`` inputs.

    Then the transform's backward must be recorded so that its result can be
    differentiated with respect to that outer computation.
    """
    own_ids = {id(a._node) for a in own}
    seen = set()
    stack = [h._node for h in heads if isinstance(h, Array) and h._node is not None]
    while stack:
        node = stack.pop()
        if isinstance(node, _tape.Leaf):
            if id(node) not in own_ids and node.grad_req != _DONE:
                return True
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        for edge in node.edges:
            if edge is not None:
                stack.append(edge[0])
    return False


def _strip(value, keep_graph: bool):
    """A result as returned to the user: without this transform's history, unless kept."""
    if keep_graph or not isinstance(value, Array) or value._node is None:
        return value
    return Array._from_node(value._data, value._ns, None, 0, value._version, value._tangents)


def _normalize_argnums(argnums, n_args: int) -> tuple:
    single = isinstance(argnums, int)
    if not single and not isinstance(argnums, (tuple, list)):
        raise _errors.bad_argnums(argnums, n_args)
    numbers = (argnums,) if single else tuple(argnums)
    if not numbers or any(not isinstance(i, int) or not -n_args <= i < n_args
                          for i in numbers):
        raise _errors.bad_argnums(argnums, n_args)
    numbers = tuple(i % n_args for i in numbers)
    if len(set(numbers)) != len(numbers):
        # one fresh input per argnum: a repeated one would shadow the first (torch.func raises)
        raise _errors.duplicate_argnums(argnums, n_args)
    return numbers


def _first_scalar(leaves: Sequence):
    """The first Python scalar among ``leaves``, for the message of a namespace-less call."""
    for leaf in leaves:
        if isinstance(leaf, (int, float, complex)) and not isinstance(leaf, bool):
            return leaf
    return 1.0


class _Inputs:
    """The differentiated arguments of one call: per argnum, its treedef and fresh leaves."""

    def __init__(self, ns, args: tuple, argnums: tuple, outer_recording: bool):
        self.ns = ns
        self.args = list(args)
        self.trees = []
        for i in argnums:
            leaves, treedef = flatten(args[i])
            fresh = []
            for k, leaf in enumerate(leaves):
                x = _as_input(ns, leaf, f"{i}" if treedef.kind == "leaf" else f"{i} (leaf {k})")
                fresh.append(None if x is None else _fresh(x, outer_recording))
            self.args[i] = unflatten(treedef, fresh)
            self.trees.append((treedef, fresh))
        self.targets = [x for _, fresh in self.trees for x in fresh if x is not None]

    def finish(self) -> None:
        """Mark this transform's own leaves done: it has returned."""
        for x in self.targets:
            if isinstance(x._node, _tape.Leaf) and x._node.grad_req == _ACTIVE:
                x._node.grad_req = _DONE

    def rebuild(self, values: Sequence, single: bool):
        """The per-target ``values`` arranged like the differentiated arguments."""
        values = iter(values)
        trees = []
        for treedef, fresh in self.trees:
            trees.append(unflatten(treedef, [None if x is None else next(values)
                                             for x in fresh]))
        return trees[0] if single else tuple(trees)


def _differentiated_namespace(args: tuple, kwargs: dict, argnums):
    """The normalized ``argnums`` and the namespace fixed by the arguments.

    Raises
    ------
    TypeError
        No argument is an array, so no namespace can be chosen for scalars.
    """
    numbers = _normalize_argnums(argnums, len(args))
    leaves = []
    for i in numbers:
        leaves += flatten(args[i])[0]
    ns = _namespace_of(leaves) or _namespace_of(flatten((args, kwargs))[0])
    if ns is None:
        raise _errors.no_namespace_for_scalars(_first_scalar(leaves))
    return numbers, ns


def _setup(f: Callable, args: tuple, kwargs: dict, argnums, has_aux: bool):
    """Convert the arguments, make fresh inputs, run ``f`` recording.

    Returns ``(inputs, out, aux, outer_recording)``.
    """
    numbers, ns = _differentiated_namespace(args, kwargs, argnums)
    outer = _tape.state.recording
    inputs = _Inputs(ns, args, numbers, outer)
    with enable_grad():
        result = f(*inputs.args, **kwargs)
    aux = None
    if has_aux:
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise _errors.has_aux_output(result)
        result, aux = result
    return inputs, result, aux, outer


def _cotangents(ns, heads: Sequence, cts: Sequence, targets: Sequence, create: bool,
                retain: bool) -> list:
    """Cotangents reaching ``targets`` from ``heads`` seeded with ``cts`` (zeros if unused)."""
    pairs = [(h, c) for h, c in zip(heads, cts)
             if isinstance(h, Array) and h._node is not None]
    found = [None] * len(targets)
    if pairs and targets:
        found = _tape.backward([h for h, _ in pairs], [c for _, c in pairs],
                               retain_graph=retain, create_graph=create, targets=targets,
                               write_leaves=False)
    return [g if g is not None else ns.zeros_like(t) for g, t in zip(found, targets)]


# ---------------------------------------------------------------------------
# reverse mode
# ---------------------------------------------------------------------------

def value_and_grad(f: Callable, argnums=0, has_aux: bool = False,
                   holomorphic: bool = False) -> Callable:
    """A function returning ``(f(*args), grad(f)(*args))`` (JAX's ``value_and_grad``).

    With ``has_aux=True`` it returns ``((value, aux), gradient)``.  See
    :func:`grad` for the parameters.
    """

    @functools.wraps(f)
    def value_and_grad_f(*args, **kwargs):
        inputs, out, aux, outer = _setup(f, args, kwargs, argnums, has_aux)
        ns = inputs.ns
        out = _check_scalar_output(ns, out, holomorphic)
        if holomorphic:
            for x in inputs.targets:
                if not ns._is_complex_dtype(x.dtype):
                    raise _errors.holomorphic_not_complex("input", x.dtype)
        create = outer and _reaches_outside([out], inputs.targets)
        # a complex output has no implicit cotangent: seed it with 1 explicitly
        seed = ns.ones_like(out) if holomorphic else None
        grads = _cotangents(ns, [out], [seed], inputs.targets, create, retain=create)
        if holomorphic:
            # the tape's VJP with cotangent 1 is conj(f'(z)) (PyTorch's convention)
            grads = [ns.conj(g) for g in grads]
        gradient = inputs.rebuild(grads, isinstance(argnums, int))
        inputs.finish()
        value = _strip(out, create)
        if has_aux:
            return (value, tree_map(lambda a: _strip(a, create), aux)), gradient
        return value, gradient

    return value_and_grad_f


def _check_scalar_output(ns, out, holomorphic: bool):
    if isinstance(out, (bool, int, float, complex)):
        # a constant, not computed from the inputs: torch.func raises (JAX for an int)
        raise _errors.grad_output_python_scalar(out)
    if not isinstance(out, Array):
        raise _errors.grad_output_not_array(out)
    if out.ndim != 0:
        raise _errors.grad_output_not_scalar(out.shape)
    is_complex = ns._is_complex_dtype(out.dtype)
    if holomorphic and not is_complex:
        raise _errors.holomorphic_not_complex("output", out.dtype)
    if not holomorphic and (is_complex or not ns._is_float_dtype(out.dtype)):
        if is_complex:
            raise _errors.grad_output_complex(out.dtype)
        raise _errors.grad_output_not_float(out.dtype)
    return out


def grad(f: Callable, argnums=0, has_aux: bool = False, holomorphic: bool = False) -> Callable:
    """The gradient of a scalar function, as a function (JAX's ``grad``, ``torch.func.grad``).

    Parameters
    ----------
    f : callable
        Takes arrays, Python scalars or tuples/lists/dicts of them and returns
        a 0-d real floating-point array computed from them (a pair
        ``(output, aux)`` with ``has_aux=True``).  Python scalar arguments are
        accepted as long as at least one argument (differentiated or not) is
        an array, whose namespace converts them; otherwise wrap them, as in
        ``grad(xp.tanh)(xp.asarray(2.0))``.
    argnums : int or tuple of int
        The positional arguments to differentiate, each at most once.  With a
        tuple the gradient is a tuple with one entry per argument.
    has_aux : bool
        ``f`` returns ``(output, aux)``; the result is ``(gradient, aux)``.
    holomorphic : bool
        ``f`` is complex-to-complex and holomorphic: return ``f'(z)`` (JAX).

    Returns
    -------
    callable
        Returns the gradient, with the structure of the differentiated
        arguments (Python scalars become 0-d arrays of the default float dtype
        of the arrays' namespace), and the same shapes and dtypes.

    Raises
    ------
    TypeError
        The output is not an array (a Python scalar included: it does not
        depend on the inputs), is complex (without ``holomorphic``) or has an
        integer or boolean dtype; an argument is not floating-point; the
        arguments are all Python scalars, with no array to take a namespace from.
    ValueError
        The output is not 0-d; ``argnums`` is out of range or repeats an argument.

    Notes
    -----
    Users' ``.grad`` fields are never touched.  Arguments may already require
    a gradient or be intermediate results: the gradient is then itself
    differentiable (``grad(grad(f))``).  Complex inputs follow PyTorch's
    convention (see the module docstring).

    Examples
    --------
    >>> import arrayapi_autograd.numpy as xp
    >>> from arrayapi_autograd import grad
    >>> grad(lambda x: xp.sum(x ** 3))(xp.asarray([1.0, 2.0]))
    Array([ 3., 12.], dtype=float64, backend=numpy)
    >>> float(grad(grad(grad(xp.sin)))(xp.asarray(0.0)))
    -1.0
    """
    value_and_grad_f = value_and_grad(f, argnums, has_aux, holomorphic)

    @functools.wraps(f)
    def grad_f(*args, **kwargs):
        if has_aux:
            (_, aux), gradient = value_and_grad_f(*args, **kwargs)
            return gradient, aux
        return value_and_grad_f(*args, **kwargs)[1]

    return grad_f


def vjp(f: Callable, *primals, has_aux: bool = False):
    """``f(*primals)`` and a function computing vector-Jacobian products (JAX's ``vjp``).

    Parameters
    ----------
    f : callable
        Takes the primals (arrays, scalars or pytrees of them) and returns a
        pytree of arrays (``(output, aux)`` with ``has_aux=True``).
    *primals
        The point of linearization.

    Returns
    -------
    out, vjp_fn[, aux]
        ``vjp_fn(ct)`` takes a cotangent with the structure, shapes and dtypes
        of ``out`` and returns a tuple with one cotangent per primal.  It can
        be called any number of times (the graph is retained until ``vjp_fn``
        is dropped).  Complex outputs follow PyTorch: ``vjp_fn`` multiplies by
        the conjugate Jacobian.

    Examples
    --------
    >>> import arrayapi_autograd.numpy as xp
    >>> from arrayapi_autograd import vjp
    >>> out, vjp_fn = vjp(xp.sin, xp.asarray([0.0, 1.0]))
    >>> vjp_fn(xp.asarray([1.0, 1.0]))[0]
    Array([1.        , 0.54030231], dtype=float64, backend=numpy)
    """
    inputs, out, aux, outer = _setup(f, primals, {}, tuple(range(len(primals))), has_aux)
    ns = inputs.ns
    out_leaves, out_def = flatten(out)
    create = outer and _reaches_outside(out_leaves, inputs.targets)

    def vjp_fn(ct):
        ct_leaves, ct_def = flatten(ct)
        if ct_def != out_def:
            raise _errors.tree_mismatch("cotangent", out_def, ct_def)
        heads, cts = [], []
        for o, c in zip(out_leaves, ct_leaves):
            if c is None or not isinstance(o, Array):
                continue
            if not isinstance(c, Array):
                c = ns.asarray(c, dtype=o.dtype)
            heads.append(o)
            cts.append(c)
        grads = _cotangents(ns, heads, cts, inputs.targets, create, retain=True)
        return inputs.rebuild(grads, False)

    out = tree_map(lambda a: _strip(a, create), out)
    if has_aux:
        return out, vjp_fn, tree_map(lambda a: _strip(a, create), aux)
    return out, vjp_fn


# ---------------------------------------------------------------------------
# forward mode
# ---------------------------------------------------------------------------

def jvp(f: Callable, primals, tangents):
    """``(f(*primals), J @ tangents)`` by forward mode (JAX's ``jvp``, ``torch.func.jvp``).

    Parameters
    ----------
    f : callable
        Takes the primals and returns a pytree of arrays.
    primals, tangents : tuple or list
        The arguments of ``f`` and one tangent per argument, with the same
        structure and shapes (Python scalars are accepted for both).

    Returns
    -------
    (out, tangent_out)
        Pytrees with the structure of ``f``'s output.  The output keeps its
        reverse-mode history, so ``grad`` of a ``jvp`` works.

    Examples
    --------
    >>> import arrayapi_autograd.numpy as xp
    >>> from arrayapi_autograd import jvp
    >>> jvp(xp.sin, (xp.asarray(0.0),), (xp.asarray(2.0),))[1]
    Array(2., dtype=float64, backend=numpy)
    """
    if not isinstance(primals, (tuple, list)):
        primals, tangents = (primals,), (tangents,)
    if not isinstance(tangents, (tuple, list)):
        tangents = (tangents,)
    p_leaves, p_def = flatten(tuple(primals))
    t_leaves, t_def = flatten(tuple(tangents))
    if p_def != t_def:
        raise _errors.tree_mismatch("tangents", p_def, t_def)
    ns = _namespace_of(p_leaves) or _namespace_of(t_leaves)
    if ns is None:
        raise _errors.no_namespace_for_scalars(_first_scalar(p_leaves))
    with dual_level() as level:
        duals = []
        for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
            x = _as_input(ns, p, str(i))
            if x is None:
                duals.append(None)
                continue
            if not isinstance(t, Array):
                t = ns.asarray(t, dtype=x.dtype)
            if t.shape != x.shape:
                raise _errors.tangent_shape_mismatch(i, x.shape, t.shape)
            duals.append(make_dual(x, t, level))
        out = f(*unflatten(p_def, duals))
        out_leaves, out_def = flatten(out)
        primal_out, tangent_out = [], []
        for o in out_leaves:
            if isinstance(o, Array):
                po, to = unpack_dual(o, level)
            else:
                po = o
                to = None if o is None else ns.zeros_like(ns.asarray(o))
            primal_out.append(po)
            tangent_out.append(to)
    return unflatten(out_def, primal_out), unflatten(out_def, tangent_out)


# ---------------------------------------------------------------------------
# Jacobians, Hessians
# ---------------------------------------------------------------------------

def _size(shape) -> int:
    return math.prod(shape)


def _basis_chunks(ns, shape, dtype, device, chunk_size):
    """The standard basis arrays of ``shape``, ``chunk_size`` at a time (all when ``None``).

    Yields ``(count, value)``: ``value`` stacks ``count`` rows of an identity
    matrix along a leading axis as one
    :class:`~arrayapi_autograd._batching.BatchedArray` (a plain array when
    ``count`` is 1), so that one pass with it gives that many rows (or
    columns) of a Jacobian.
    """
    n = _size(shape)
    eye = ns.eye(n, dtype=dtype, device=device)
    step = max(n, 1) if chunk_size is None else chunk_size
    for start in range(0, n, step):
        rows = eye[start:min(start + step, n), :]
        count = rows.shape[0]
        if count == 1:
            yield 1, ns.reshape(rows, tuple(shape))
        else:
            yield count, BatchedArray(ns.reshape(rows, (count,) + tuple(shape)),
                                      _batching.new_level())


def _stacked(ns, value, count: int):
    """A pass's result for ``count`` basis vectors as an array with ``count`` rows first."""
    if count == 1:
        return ns.expand_dims(value, axis=0)
    return _batching.materialize(value, count)


def _check_chunk_size(chunk_size):
    """``chunk_size`` as an int (NumPy integers too) or ``None``; anything else raises."""
    if chunk_size is None:
        return None
    if isinstance(chunk_size, bool):
        raise _errors.bad_chunk_size(chunk_size)
    try:
        size = operator.index(chunk_size)
    except TypeError:
        raise _errors.bad_chunk_size(chunk_size) from None
    if size < 1:
        raise _errors.bad_chunk_size(chunk_size)
    return size


def jacobian(f: Callable, argnums=0, mode: str = "rev", *, chunk_size: int | None = None,
             has_aux: bool = False) -> Callable:
    """The Jacobian of ``f``, as a function (JAX's ``jacrev``/``jacfwd``).

    Parameters
    ----------
    f : callable
        Takes arrays (or pytrees) and returns an array or a pytree of arrays.
    argnums : int or tuple of int
    mode : {"rev", "fwd"}
        ``"rev"``: one recording of ``f`` and, per output, one backward pass
        carrying every row of the identity at once; best for few outputs.
        ``"fwd"``: per differentiated input, one forward pass carrying every
        basis tangent at once; best for few inputs.
    chunk_size : int, optional
        Push at most this many basis vectors through one pass (as
        ``torch.func.jacrev``'s ``chunk_size``): the passes' intermediate
        values are ``chunk_size`` times one pass's, so a smaller chunk trades
        speed for memory.  ``None`` (default): all at once; ``1``: one pass
        per row (or column).
    has_aux : bool
        ``f`` returns a pair ``(output, aux)``: the Jacobian is of ``output``,
        and ``(jacobian, aux)`` is returned, ``aux`` without this transform's
        derivatives (JAX's and ``torch.func``'s ``has_aux``).

    Returns
    -------
    callable
        Returns, for each output leaf (in ``f``'s output structure), the
        Jacobian with respect to each differentiated argument (in the
        arguments' structure, a tuple for tuple ``argnums``): an array of
        shape ``out.shape + x.shape``, the layout of ``torch.func.jacrev``.

    Notes
    -----
    The cotangents (or tangents) are batched along a leading axis, as JAX's
    ``vmap`` of ``vjp`` does: each derivative rule runs once on the whole
    stack, through the op records' batching rules (``_batching.py``).  An op
    without a batching rule runs once per row instead (same result).
    Derivative rules that branch on the values of their cotangent raise a
    ``TypeError``; compute such Jacobians row by row with :func:`vjp`.

    Examples
    --------
    >>> import arrayapi_autograd.numpy as xp
    >>> from arrayapi_autograd import jacobian
    >>> jacobian(lambda x: x ** 2)(xp.asarray([1.0, 2.0]))
    Array([[2., 0.],
           [0., 4.]], dtype=float64, backend=numpy)
    """
    if mode not in ("rev", "fwd"):
        raise _errors.bad_jacobian_mode(mode)
    chunk_size = _check_chunk_size(chunk_size)
    single = isinstance(argnums, int)

    @functools.wraps(f)
    def jacobian_f(*args, **kwargs):
        if mode == "rev":
            return _jacrev(f, args, kwargs, argnums, single, chunk_size, has_aux)
        return _jacfwd(f, args, kwargs, argnums, single, chunk_size, has_aux)

    return jacobian_f


def _jacrev(f, args, kwargs, argnums, single, chunk_size=None, has_aux=False):
    inputs, out, aux, outer = _setup(f, args, kwargs, argnums, has_aux)
    ns = inputs.ns
    targets = inputs.targets
    out_leaves, out_def = flatten(out)
    for o in out_leaves:
        _check_jacobian_output(ns, "rev", o)
    create = outer and _reaches_outside(out_leaves, targets)

    def rows(o, chunk):
        """Per target, the Jacobian rows of output ``o``: one backward per chunk of rows."""
        parts: list[list] = [[] for _ in targets]
        for count, ct in _basis_chunks(ns, o.shape, o.dtype, o.device, chunk):
            grads = _cotangents(ns, [o], [ct], targets, create, retain=True)
            for j, g in enumerate(grads):
                parts[j].append(_stacked(ns, g, count))
        return [p[0] if len(p) == 1 else ns.concat(p, axis=0) for p in parts]

    results = []
    for o in out_leaves:
        if _size(o.shape) and o._node is not None and targets:
            # the graph is kept between the passes (and for the next output)
            try:
                stacks = rows(o, chunk_size)
            except _errors.ValueOfBatchedError:
                # a rule (or hook) reads its cotangent's value: one backward per row
                stacks = rows(o, 1)
            blocks = [ns.reshape(r, o.shape + x.shape) for r, x in zip(stacks, targets)]
        else:
            blocks = [ns.zeros(o.shape + x.shape, dtype=x.dtype, device=x.device)
                      for x in targets]
        results.append(inputs.rebuild(blocks, single))
    inputs.finish()
    jac = unflatten(out_def, results)
    if has_aux:
        return jac, tree_map(lambda a: _strip(a, create), aux)
    return jac


def _jacfwd(f, args, kwargs, argnums, single, chunk_size=None, has_aux=False):
    numbers, ns = _differentiated_namespace(args, kwargs, argnums)
    aux_holder: list = []
    if has_aux:
        function = f

        def f(*args, **kwargs):
            result = function(*args, **kwargs)
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise _errors.has_aux_output(result)
            aux_holder[:] = [result[1]]
            return result[0]

    # the differentiated leaves, converted, with where they sit in the arguments
    trees = []
    for i in numbers:
        arg_leaves, treedef = flatten(args[i])
        trees.append((i, treedef, [_as_input(ns, leaf, str(i)) for leaf in arg_leaves]))
        for x in trees[-1][2]:
            if x is not None and ns._is_complex_dtype(x.dtype):
                raise _errors.jacobian_dtype("fwd", "input", x.dtype)
    targets = [(t, k) for t, (_, _, xs) in enumerate(trees) for k, x in enumerate(xs)
               if x is not None]

    def call(replace=None):
        """``f`` with the leaf ``replace = (tree, k, value)`` substituted."""
        new_args = list(args)
        for t, (i, treedef, xs) in enumerate(trees):
            xs = list(xs)
            if replace is not None and replace[0] == t:
                xs[replace[1]] = replace[2]
            new_args[i] = unflatten(treedef, xs)
        return f(*new_args, **kwargs)

    out_def, out_shapes, columns = None, None, []
    for t, k in targets:
        x = trees[t][2][k]
        n = _size(x.shape)
        cols = None
        if n:
            try:
                out_def, out_shapes, cols = _columns(ns, call, (t, k), x, chunk_size)
            except _errors.ValueOfBatchedError:
                # a rule reads its tangent's value: one forward pass per basis tangent
                out_def, out_shapes, cols = _columns(ns, call, (t, k), x, 1)
        columns.append(cols)
    if out_def is None:
        out_leaves, out_def = flatten(call())
        for o in out_leaves:
            _check_jacobian_output(ns, "fwd", o)
        out_shapes = [tuple(o.shape) for o in out_leaves]
    results = []
    for j, shape in enumerate(out_shapes):
        blocks = []
        for (t, k), cols in zip(targets, columns):
            x = trees[t][2][k]
            if cols is not None:
                blocks.append(ns.reshape(cols[j], tuple(shape) + x.shape))
            else:
                blocks.append(ns.zeros(tuple(shape) + x.shape, dtype=x.dtype, device=x.device))
        per_arg = iter(blocks)
        arranged = [unflatten(treedef, [None if x is None else next(per_arg) for x in xs])
                    for _, treedef, xs in trees]
        results.append(arranged[0] if single else tuple(arranged))
    jac = unflatten(out_def, results)
    if has_aux:
        return jac, tree_map(_without_closed_tangents, aux_holder[0])
    return jac


def _without_closed_tangents(value):
    """``value`` without the tangents of forward levels that are closed (aux of jacfwd)."""
    if not isinstance(value, Array) or not value._tangents:
        return value
    open_levels = _tape.state.open_levels
    kept = {k: t for k, t in value._tangents.items() if k in open_levels}
    return Array._from_node(value._data, value._ns, value._node, value._index, value._version,
                            kept or None)


def _check_jacobian_output(ns, mode: str, out) -> None:
    """An output of a function given to ``jacrev``/``jacfwd``: a floating-point array
    (real for ``jacrev``, whose rows are gradients; JAX's rule)."""
    if not isinstance(out, Array):
        raise _errors.jacobian_output(mode, out)
    if not ns._is_float_dtype(out.dtype) or (mode == "rev" and
                                             ns._is_complex_dtype(out.dtype)):
        raise _errors.jacobian_dtype(mode, "output", out.dtype)


def _columns(ns, call, position, x, chunk):
    """``(out treedef, out shapes, per output its Jacobian columns for x, last axis)``.

    One forward pass per chunk of basis tangents of ``x``.
    """
    parts = None
    for count, tangent in _basis_chunks(ns, x.shape, x.dtype, x.device, chunk):
        out_def, out_shapes, tangents = _pushforward(ns, call, position, x, tangent)
        if parts is None:
            parts = [[] for _ in tangents]
        for j, t in enumerate(tangents):
            parts[j].append(_stacked(ns, t, count))
    # (n, *out.shape) -> (*out.shape, n)
    columns = [ns.moveaxis(p[0] if len(p) == 1 else ns.concat(p, axis=0), 0, -1)
               for p in parts]
    return out_def, out_shapes, columns


def _pushforward(ns, call, position, x, tangent):
    """``(out treedef, out shapes, out tangents)`` of ``call`` with ``x`` carrying ``tangent``."""
    with dual_level() as level:
        out = call(position + (make_dual(x, tangent, level),))
        out_leaves, out_def = flatten(out)
        for o in out_leaves:
            _check_jacobian_output(ns, "fwd", o)
        tangents = [unpack_dual(o, level)[1] for o in out_leaves]
    return out_def, [tuple(o.shape) for o in out_leaves], tangents


def jacrev(f: Callable, argnums=0, *, chunk_size: int | None = None,
           has_aux: bool = False) -> Callable:
    """:func:`jacobian` with ``mode="rev"`` (JAX's and ``torch.func``'s name)."""
    return jacobian(f, argnums, mode="rev", chunk_size=chunk_size, has_aux=has_aux)


def jacfwd(f: Callable, argnums=0, *, chunk_size: int | None = None,
           has_aux: bool = False) -> Callable:
    """:func:`jacobian` with ``mode="fwd"`` (JAX's and ``torch.func``'s name)."""
    return jacobian(f, argnums, mode="fwd", chunk_size=chunk_size, has_aux=has_aux)


def hessian(f: Callable, argnums=0) -> Callable:
    """The Hessian of a scalar function, forward-over-reverse (``jacfwd(jacrev(f))``).

    Returns, for an argument of shape ``s``, an array of shape ``s + s``
    (nested by argument for tuple ``argnums``), as ``torch.func.hessian``.

    Examples
    --------
    >>> import arrayapi_autograd.numpy as xp
    >>> from arrayapi_autograd import hessian
    >>> hessian(lambda x: xp.sum(x ** 3))(xp.asarray([1.0, 2.0]))
    Array([[ 6.,  0.],
           [ 0., 12.]], dtype=float64, backend=numpy)
    """
    return jacobian(jacobian(f, argnums, mode="rev"), argnums, mode="fwd")


def hvp(f: Callable, primals, tangents):
    """Hessian-vector product of a scalar function, forward-over-reverse.

    As ``torch.autograd.functional.hvp``: returns ``(f(*primals), H @ v)``
    with one entry of ``H @ v`` per primal (a tuple), computed as the JVP of
    the gradient without forming the Hessian.
    """
    if not isinstance(primals, (tuple, list)):
        primals, tangents = (primals,), (tangents,)
    argnums = tuple(range(len(primals)))
    (value, _), (_, product) = jvp(value_and_grad(f, argnums), tuple(primals),
                                   tuple(tangents))
    return value, product


# ---------------------------------------------------------------------------
# finite differences
# ---------------------------------------------------------------------------

def gradcheck(f: Callable, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              check_forward_ad: bool = True) -> bool:
    """Compare the Jacobians of ``f`` with central finite differences (``torch.autograd.gradcheck``).

    Parameters
    ----------
    f : callable
        Takes the arrays ``inputs`` and returns an array or a pytree of real arrays.
    inputs : Array or sequence of Array
        Real float64 arrays (finite differences need the precision).
    eps : float
        Step of the central differences ``(f(x + eps e) - f(x - eps e)) / (2 eps)``.
    atol, rtol : float
        Tolerances: ``|analytic - numerical| <= atol + rtol * |numerical|``.
    check_forward_ad : bool
        Also compare the forward-mode Jacobian.

    Returns
    -------
    True

    Raises
    ------
    GradcheckError
        Naming the input, the output and the element where the Jacobians
        differ, with both values.
    TypeError
        An input is not a real float64 array.
    """
    import numpy as np

    if not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    inputs = tuple(inputs)
    ns = _namespace_of(inputs)
    if ns is None:
        raise _errors.no_namespace_for_scalars(_first_scalar(inputs))
    for i, x in enumerate(inputs):
        if not isinstance(x, Array) or x.dtype != ns.float64:
            raise _errors.gradcheck_dtype(i, getattr(x, "dtype", type(x).__name__))
    argnums = tuple(range(len(inputs)))
    values = [x.detach() for x in inputs]

    def to_numpy(a):
        return ns._to_numpy(a.detach()._data)

    with no_grad():
        out_leaves = flatten(f(*values))[0]
    numerical = [[None] * len(inputs) for _ in out_leaves]
    for i, x in enumerate(values):
        n = _size(x.shape)
        cols = [[] for _ in out_leaves]
        for _, basis_vector in _basis_chunks(ns, x.shape, x.dtype, x.device, 1):
            step = eps * basis_vector
            with no_grad():
                plus = flatten(f(*values[:i], x + step, *values[i + 1:]))[0]
                minus = flatten(f(*values[:i], x - step, *values[i + 1:]))[0]
            for j, (p, m) in enumerate(zip(plus, minus)):
                cols[j].append((to_numpy(ns.asarray(p)) - to_numpy(ns.asarray(m))) / (2 * eps))
        for j, o in enumerate(out_leaves):
            shape = tuple(ns.asarray(o).shape)
            numerical[j][i] = (np.stack(cols[j], axis=-1).reshape(shape + x.shape) if n
                               else np.zeros(shape + x.shape))
    kinds = [("reverse-mode", "rev")] + ([("forward-mode", "fwd")] if check_forward_ad else [])
    for kind, mode in kinds:
        analytic = flatten(jacobian(f, argnums, mode=mode)(*values))[0]
        for j in range(len(out_leaves)):
            for i in range(len(inputs)):
                a = to_numpy(analytic[j * len(inputs) + i])
                b = numerical[j][i]
                bad = ~np.isclose(a, b, rtol=rtol, atol=atol)
                if bad.any():
                    flat = int(np.argmax(bad.reshape(-1)))
                    position = divmod(flat, max(_size(values[i].shape), 1))
                    raise _errors.gradcheck_failed(kind, i, j, position,
                                                   a.reshape(-1)[flat].item(),
                                                   b.reshape(-1)[flat].item(), atol, rtol)
    return True

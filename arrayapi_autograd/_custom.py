"""User-defined derivative rules and rematerialization: ``custom_vjp``, ``custom_jvp``,
``Function`` and ``checkpoint``.

Each is an op record (:class:`~arrayapi_autograd._op.Op`) made once, when the
function is decorated (or the :class:`Function` subclass defined), with
callable ``vjp``/``jvp`` rules that call the user's code; a call records one
node on the tape through the same dispatcher as every op (``_call``).  The
op's array parameter is the sequence of array leaves of the arguments
(pytrees are flattened), its outputs the array leaves of the result.
User rules written with wrapped operations are themselves recorded when the
backward is (``create_graph=True``), so higher derivatives work.

* ``custom_vjp`` (JAX's ``jax.custom_vjp``): ``f.defvjp(fwd, bwd)``, ``fwd``
  returns ``(out, residuals)``, ``bwd(residuals, ct)`` one cotangent per
  argument.  As in JAX, ``fwd`` runs on the arguments themselves, so the
  residuals keep their dependence on them and ``bwd`` can be differentiated
  again; forward mode follows ``fwd``'s own operations (JAX refuses forward
  mode through a ``custom_vjp`` instead).
* ``custom_jvp`` (``jax.custom_jvp``): ``f.defjvp(rule)``,
  ``rule(primals, tangents) -> (out, tangent_out)``.  Reverse mode
  transposes the rule, which is linear in the tangents, by running it with
  zero tangents that are leaves of the tape and taking their cotangent (the
  "linearize, then transpose" of JAX, done with the tape).
* ``Function`` (``torch.autograd.Function``): static ``forward(ctx, *args)``
  run without recording on detached arrays, ``backward(ctx, *cts)``,
  optional ``jvp(ctx, *tangents)``; ``ctx.save_for_backward`` keeps arrays
  and ``ctx.saved_tensors`` gives them back, the inputs and outputs among
  them with their history (as PyTorch's saved variables), so a backward
  written with wrapped operations is differentiable.
* ``checkpoint(f)`` (``torch.utils.checkpoint``, ``jax.checkpoint``): the
  forward runs without recording and only the inputs are saved; the VJP
  re-runs ``f`` with recording and backpropagates through it.  That VJP is
  itself a checkpointed function of the inputs and the cotangents, so
  derivatives of any order stay cheap in memory.  Arrays that require a
  gradient must be passed as arguments, not captured from an enclosing scope.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from . import _errors, _tape
from ._array_object import Array, _assign_inplace, _call, _view_node
from ._batching import BatchedArray
from ._op import Op
from ._tape import dual_level, enable_grad, make_dual, no_grad, unpack_dual
from ._transforms import flatten, unflatten

__all__ = ["custom_vjp", "custom_jvp", "Function", "FunctionCtx", "checkpoint"]


# ---------------------------------------------------------------------------
# shared plumbing
# ---------------------------------------------------------------------------

def _custom_op(name: str, vjp, jvp) -> Op:
    return Op(name, "floating-point", signature="args, /", arrays=("args",), sequence=True,
              vjp=vjp, jvp=jvp, reads=("args", "out"), user_rules=True)


class _Call:
    """The arguments of one call: flattened, with the positions of the array leaves."""

    def __init__(self, args: tuple):
        self.leaves, self.treedef = flatten(args)
        self.positions = [i for i, leaf in enumerate(self.leaves) if isinstance(leaf, Array)]
        self.primals = tuple(self.leaves[i] for i in self.positions)
        self.ns = self.primals[0]._ns if self.primals else None

    @property
    def tracked(self) -> bool:
        return any(p._is_tracked() for p in self.primals)

    def args(self, arrays) -> tuple:
        """The arguments with the array leaves replaced by ``arrays``."""
        leaves = list(self.leaves)
        for i, a in zip(self.positions, arrays):
            leaves[i] = a
        return unflatten(self.treedef, leaves)


class _Outputs:
    """The array leaves of a result, and how to put the result back together."""

    def __init__(self, name: str, out):
        self.leaves, self.treedef = flatten(out)
        # a rule run by a Jacobian transform computes batched tangents (BatchedArray)
        self.positions = [i for i, leaf in enumerate(self.leaves)
                          if isinstance(leaf, (Array, BatchedArray))]
        if not self.positions:
            raise _errors.custom_output_not_array(name, out)

    def arrays(self) -> tuple:
        return tuple(self.leaves[i] for i in self.positions)

    def rebuild(self, arrays) -> Any:
        leaves = list(self.leaves)
        for i, a in zip(self.positions, arrays):
            leaves[i] = a
        return unflatten(self.treedef, leaves)


def _per_leaf(name: str, what: str, call: _Call, values) -> list:
    """A rule's per-argument results (pytrees, or ``None``) as one value per array leaf."""
    children = call.treedef.children
    n_args = len(children)
    if n_args == 1 and not isinstance(values, (tuple, list)):
        values = (values,)
    if not isinstance(values, (tuple, list)) or len(values) != n_args:
        raise _errors.custom_rule_output(name, what, n_args, values)
    flat = []
    for child, value in zip(children, values):
        if value is None:
            flat += [None] * child.num_leaves
            continue
        leaves, treedef = flatten(value)
        if treedef.num_leaves != child.num_leaves:
            raise _errors.custom_rule_output(name, what, n_args, values)
        flat += leaves
    return [flat[i] for i in call.positions]


def _positional(fun: Callable, args: tuple, kwargs: dict) -> tuple:
    """``fun``'s arguments, keywords included, as positional ones (JAX's ``resolve_kwargs``).

    The rules of ``custom_vjp``/``custom_jvp`` receive their arguments
    positionally, so keyword arguments are placed by ``fun``'s signature.

    Raises
    ------
    TypeError
        The arguments do not fit the signature, or a keyword-only parameter
        was given (it has no position).
    """
    if not kwargs:
        return args
    name = getattr(fun, "__name__", "custom rule")
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name}(): {exc}") from None
    bound.apply_defaults()
    if bound.kwargs:
        raise _errors.custom_keyword_only(name, tuple(bound.kwargs))
    return tuple(bound.args)


def _pair(result, name: str, what: str, expected: str) -> tuple:
    """``result`` as a pair; a rule returning anything else raises (never unpacked silently)."""
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise _errors.custom_rule_not_a_pair(name, what, expected, result)
    return tuple(result)


def _run(call: _Call, op: Op, forward, params: dict, outputs_holder: list):
    """Record one node of ``op`` through the dispatcher and rebuild the result."""
    results = _call(op, forward, call.ns, call.primals, params)
    return outputs_holder[0].rebuild(results)


# ---------------------------------------------------------------------------
# custom_vjp
# ---------------------------------------------------------------------------

class custom_vjp:
    """A function with a user-defined VJP (JAX's ``jax.custom_vjp``).

    ``nondiff_argnums`` (JAX's): positions of arguments that get no
    cotangent, such as functions, integers or arrays that need no gradient;
    ``bwd`` receives them first, ``bwd(*nondiff, residuals, ct)``, and
    returns cotangents for the other arguments only.  Use it as
    ``functools.partial(custom_vjp, nondiff_argnums=(0,))`` to decorate.

    Forward mode (``jvp``, ``jacfwd``, the forward half of ``hessian``) does
    not use ``bwd``: it differentiates ``fwd``'s own operations, so a ``bwd``
    that is not the true derivative of ``fwd`` (a clipped or straight-through
    gradient) gives ``jacrev`` and ``jacfwd`` different answers.  JAX refuses
    forward mode through a ``custom_vjp``; define a ``custom_jvp`` where both
    modes must follow the custom rule.

    Examples
    --------
    >>> import arrayapi_autograd.numpy as xp
    >>> from arrayapi_autograd import custom_vjp, grad
    >>> @custom_vjp
    ... def clip_gradient(x):
    ...     return x
    >>> def fwd(x):
    ...     return x, None
    >>> def bwd(residuals, ct):
    ...     return (xp.clip(ct, min=-1.0, max=1.0),)
    >>> clip_gradient.defvjp(fwd, bwd)
    >>> grad(lambda x: xp.sum(3.0 * clip_gradient(x)))(xp.asarray([1.0]))
    Array([1.], dtype=float64, backend=numpy)
    """

    def __init__(self, fun: Callable, nondiff_argnums: tuple = ()):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.fwd = None
        self.bwd = None
        self.nondiff_argnums = tuple(nondiff_argnums) if isinstance(nondiff_argnums,
                                                                    (tuple, list)) \
            else (nondiff_argnums,)
        self._in_fwd = False
        self._name = getattr(fun, "__name__", "custom_vjp")
        self._op = _custom_op(f"custom_vjp[{self._name}]", self._vjp_rule, self._jvp_rule)

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        """Set the rules: ``fwd(*args) -> (out, residuals)``, ``bwd(residuals, ct) -> tuple``.

        With ``nondiff_argnums``, ``bwd`` takes the non-differentiable
        arguments first, ``bwd(*nondiff, residuals, ct)``, and returns one
        cotangent per other argument (JAX's convention).
        """
        self.fwd = fwd
        self.bwd = bwd

    def _split(self, args: tuple) -> tuple:
        """``(non-differentiable arguments, differentiable ones)`` by ``nondiff_argnums``."""
        argnums = self.nondiff_argnums
        n = len(args)
        if not all(isinstance(i, int) and not isinstance(i, bool) and -n <= i < n
                   for i in argnums) or len({i % n for i in argnums}) != len(argnums):
            raise _errors.nondiff_argnums(self._name, argnums, n)
        positions = sorted(i % n for i in argnums)
        for i in positions:
            for leaf in flatten(args[i])[0]:
                if isinstance(leaf, Array) and leaf._is_tracked():
                    raise _errors.nondiff_argument_requires_grad(self._name, i)
        return (tuple(args[i] for i in positions),
                tuple(a for i, a in enumerate(args) if i not in positions))

    def __call__(self, *args, **kwargs):
        args = _positional(self.fun, args, kwargs)
        nondiff, diff = self._split(args) if self.nondiff_argnums else ((), args)
        call = _Call(diff)
        if not call.tracked:
            return self.fun(*args)
        if self.fwd is None:
            raise _errors.custom_vjp_not_defined(self._name)
        if self._in_fwd:
            # fwd calling the function itself (JAX's documented pattern): the primal
            return self.fun(*args)
        # JAX semantics: fwd runs on the arguments as given, so the residuals keep
        # their history (bwd stays differentiable) and tangents flow through fwd.
        self._in_fwd = True
        try:
            out, residuals = _pair(self.fwd(*args), self._name, "fwd rule",
                                   "(output, residuals)")
        finally:
            self._in_fwd = False
        outputs = _Outputs(self._name, out)
        arrays = outputs.arrays()
        raws = tuple(a._data for a in arrays)
        params = {"call": call, "outputs": outputs, "residuals": residuals, "nondiff": nondiff}
        results = _call(self._op, lambda *_, **__: raws, call.ns, call.primals, params)
        for r, a in zip(results, arrays):
            if a._tangents:
                r._tangents = dict(a._tangents)
        return outputs.rebuild(results)

    def _vjp_rule(self, ns, ct, *primals, out, needed, call, outputs, residuals, nondiff):
        cts = self.bwd(*nondiff, residuals, outputs.rebuild(ct))
        return _per_leaf(self._name, "bwd rule", call, cts)

    @staticmethod
    def _jvp_rule(ns, tangents, *primals, out, **params):
        # the tangents were computed by running fwd itself (see __call__)
        return tuple(None for _ in out)


# ---------------------------------------------------------------------------
# custom_jvp
# ---------------------------------------------------------------------------

class custom_jvp:
    """A function with a user-defined JVP (JAX's ``jax.custom_jvp``).

    ``f.defjvp(rule)`` with ``rule(primals, tangents) -> (out, tangent_out)``,
    both tuples with one entry per argument.  Reverse mode transposes the
    rule (it must be linear in the tangents, as JAX requires).

    Examples
    --------
    >>> import arrayapi_autograd.numpy as xp
    >>> from arrayapi_autograd import custom_jvp, grad
    >>> @custom_jvp
    ... def f(x):
    ...     return xp.sin(x)
    >>> @f.defjvp
    ... def f_jvp(primals, tangents):
    ...     (x,), (t,) = primals, tangents
    ...     return f(x), 2.0 * xp.cos(x) * t
    >>> grad(f)(xp.asarray(0.0))
    Array(2., dtype=float64, backend=numpy)
    """

    def __init__(self, fun: Callable):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.jvp = None
        self._name = getattr(fun, "__name__", "custom_jvp")
        self._op = _custom_op(f"custom_jvp[{self._name}]", self._vjp_rule, self._jvp_rule)

    def defjvp(self, jvp: Callable) -> Callable:
        """Set the rule; returns it, so ``@f.defjvp`` works as a decorator."""
        self.jvp = jvp
        return jvp

    def __call__(self, *args, **kwargs):
        args = _positional(self.fun, args, kwargs)
        call = _Call(args)
        if not call.tracked:
            return self.fun(*args)
        if self.jvp is None:
            raise _errors.custom_jvp_not_defined(self._name)
        holder: list = []

        def forward(*raws, **params):
            with no_grad():
                out = self.fun(*call.args(call.ns._wrap(r) for r in raws))
            holder.append(_Outputs(self._name, out))
            return tuple(a._data for a in holder[0].arrays())

        params = {"call": call, "holder": holder}
        return _run(call, self._op, forward, params, holder)

    def _tangent_out(self, ns, call, primals, tangents, holder):
        tangents = tuple(t if t is not None else ns.zeros_like(p)
                         for p, t in zip(primals, tangents))
        _, t_out = _pair(self.jvp(call.args(primals), call.args(tangents)), self._name,
                         "jvp rule", "(primal_out, tangent_out)")
        t_arrays = _Outputs(self._name, t_out).arrays()
        return t_arrays

    def _jvp_rule(self, ns, tangents, *primals, out, call, holder):
        return self._tangent_out(ns, call, primals, tangents, holder)

    def _vjp_rule(self, ns, ct, *primals, out, needed, call, holder):
        # Transpose the (linear in t) rule: run it with zero tangents that are
        # leaves of the tape and read their cotangent.  Recorded exactly when
        # the backward is (create_graph), so it is differentiable in the primals.
        create = _tape.state.recording
        with enable_grad():
            zeros = []
            for p, n in zip(primals, needed):
                z = Array._from_node(ns.zeros_like(p)._data, ns, None, 0)
                if n:
                    z = z.requires_grad_()
                zeros.append(z)
            # without create_graph the primals' history is not needed (their
            # forward-mode tangents are: forward-over-reverse)
            used = primals if create else tuple(
                Array._from_node(p._data, ns, None, 0, p._version, p._tangents)
                for p in primals)
            t_out = self._tangent_out(ns, call, used, zeros, holder)
            heads = [(t, c) for t, c in zip(t_out, ct)
                     if isinstance(t, Array) and t._node is not None]
            targets = [z for z, n in zip(zeros, needed) if n]
            found = [None] * len(targets)
            if heads and targets:
                found = _tape.backward([h for h, _ in heads], [c for _, c in heads],
                                       retain_graph=create, create_graph=create,
                                       targets=targets, write_leaves=False)
        found = iter(found)
        return tuple(next(found) if n else None for n in needed)


# ---------------------------------------------------------------------------
# torch.autograd.Function
# ---------------------------------------------------------------------------

class FunctionCtx:
    """The ``ctx`` of a :class:`Function`: what ``forward`` leaves for ``backward``.

    Attributes
    ----------
    needs_input_grad : tuple of bool
        Per argument of ``forward``: whether it requires a gradient.
    """

    def __init__(self):
        self.needs_input_grad: tuple = ()
        self._to_save: tuple = ()
        self._to_save_for_forward: tuple | None = None
        self._dirty: tuple = ()
        self._in_jvp = False
        self._inputs: tuple = ()
        self._outputs: tuple = ()
        self._live: dict | None = None

    def save_for_backward(self, *arrays) -> None:
        """Keep arrays (inputs, outputs or intermediates, or ``None``) for ``backward``."""
        self._to_save = arrays

    def save_for_forward(self, *arrays) -> None:
        """Keep arrays (or ``None``) for ``jvp`` (PyTorch's ``save_for_forward``).

        In ``jvp``, :attr:`saved_tensors` gives them back (the arrays of
        :meth:`save_for_backward` when this was not called), as in PyTorch.
        """
        self._to_save_for_forward = arrays

    def mark_dirty(self, *arrays) -> None:
        """Say that ``forward`` modified these inputs in place (PyTorch's ``mark_dirty``).

        ``forward`` must return each of them.  The caller's array then *is*
        the output: it takes the Function's node, so gradients flow through
        the Function into the input's earlier history, its version counter
        moves on (a node that saved it before raises at its backward), and
        ``apply`` returns the caller's array itself.  An input that is a
        leaf requiring a gradient raises while recording, as any in-place
        update of it does; a view writes the update through to its base.
        """
        self._dirty = arrays

    @property
    def saved_tensors(self) -> tuple:
        """The saved arrays; in ``backward``, inputs and outputs come with their history.

        In ``jvp``, the arrays of :meth:`save_for_forward` when it was called.
        """
        live = self._live or {}
        saved = self._to_save
        if self._in_jvp and self._to_save_for_forward is not None:
            saved = self._to_save_for_forward
        return tuple(live.get(id(a), a) if a is not None else None for a in saved)

    saved_arrays = saved_tensors

    def mark_non_differentiable(self, *arrays) -> None:
        """Accepted for PyTorch compatibility; non-float outputs are never differentiable."""


class Function:
    """Base class of user-defined operations (``torch.autograd.Function``).

    Subclasses define static methods ``forward(ctx, *args)``,
    ``backward(ctx, *cts)`` (one cotangent per output; returns one gradient per
    argument of ``forward``, ``None`` where there is none) and optionally
    ``jvp(ctx, *tangents)`` for forward mode; call them as ``MyFn.apply(x)``.

    Examples
    --------
    >>> import arrayapi_autograd.numpy as xp
    >>> from arrayapi_autograd import Function
    >>> class Exp(Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         out = xp.exp(x)
    ...         ctx.save_for_backward(out)
    ...         return out
    ...     @staticmethod
    ...     def backward(ctx, ct):
    ...         (out,) = ctx.saved_tensors
    ...         return ct * out
    >>> x = xp.asarray([0.0, 1.0]); x.requires_grad_()
    Array([0., 1.], dtype=float64, backend=numpy, requires_grad=True)
    >>> xp.sum(Exp.apply(x)).backward(); x.grad
    Array([1.        , 2.71828183], dtype=float64, backend=numpy)
    """

    _op: Op

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._op = _custom_op(f"Function[{cls.__name__}]", cls._vjp_rule, cls._jvp_rule)

    @staticmethod
    def forward(ctx, *args):  # pragma: no cover - overridden
        raise NotImplementedError("Subclasses of Function define forward(ctx, *args).")

    @staticmethod
    def backward(ctx, *cts):  # pragma: no cover - overridden
        raise NotImplementedError("Subclasses of Function define backward(ctx, *cts).")

    @classmethod
    def apply(cls, *args):
        """Run ``forward`` and record one node whose VJP is ``backward``."""
        call = _Call(args)
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Array) and a._node is not None
                                     for a in args)
        if not call.tracked:
            with no_grad():
                return cls.forward(ctx, *args)
        holder: list = []

        def forward(*raws, **params):
            inputs = tuple(Array._from_node(r, call.ns, None, 0, p._version, None)
                           for r, p in zip(raws, call.primals))
            with no_grad():
                out = cls.forward(ctx, *call.args(inputs))
            holder.append(_Outputs(cls.__name__, out))
            ctx._inputs = inputs
            ctx._outputs = holder[0].arrays()
            return tuple(a._data for a in ctx._outputs)

        # A view's edge is checked against in-place changes of its base when recorded,
        # after forward ran: one the forward modifies in place (mark_dirty) is recorded
        # as it was before, through a wrapper of its own counter at that version.
        primals = tuple(p._snapshot(share_version=False) if _view_node(p) is not None else p
                        for p in call.primals)
        results = _call(cls._op, forward, call.ns, primals, {"ctx": ctx, "call": call})
        if ctx._dirty:
            results = _rebase_dirty(cls.__name__, ctx, call, results)
        return holder[0].rebuild(results)

    @classmethod
    def _vjp_rule(cls, ns, ct, *primals, out, needed, ctx, call):
        live = {id(a): p for a, p in zip(ctx._inputs, primals)}
        live.update({id(a): o for a, o in zip(ctx._outputs, out)})
        ctx._live = live
        try:
            grads = cls.backward(ctx, *ct)
        finally:
            ctx._live = None
        return _per_leaf(cls.__name__, "backward", call, grads)

    @classmethod
    def _jvp_rule(cls, ns, tangents, *primals, out, ctx, call):
        if "jvp" not in {k for klass in cls.__mro__ if klass is not Function
                         for k in vars(klass)}:
            raise _errors.function_jvp_not_defined(cls.__name__)
        full = call.args(tuple(t if t is not None else ns.zeros_like(p)
                               for t, p in zip(tangents, primals)))
        live = {id(a): p for a, p in zip(ctx._inputs, primals)}
        live.update({id(a): o for a, o in zip(ctx._outputs, out)})
        ctx._live, ctx._in_jvp = live, True
        try:
            t_out = cls.jvp(ctx, *full)
        finally:
            ctx._live, ctx._in_jvp = None, False
        if not isinstance(t_out, (tuple, list)):
            t_out = (t_out,)
        return tuple(t_out)


def _rebase_dirty(name: str, ctx: FunctionCtx, call: _Call, results) -> tuple:
    """The outputs of a Function whose ``forward`` marked inputs dirty, with each dirty
    input's own array (the caller's) rebased onto the output it became."""
    positions = {id(a): j for j, a in enumerate(ctx._inputs)}
    results = list(results)
    for array in ctx._dirty:
        j = positions.get(id(array))
        if j is None:
            raise _errors.dirty_not_an_input(name)
        i = next((i for i, o in enumerate(ctx._outputs) if o is array), None)
        if i is None:
            raise _errors.dirty_not_returned(name)
        original, result = call.primals[j], results[i]
        node = result._node
        if node is None:
            # nothing recorded (no_grad, or forward mode only): new values and tangents,
            # the history stays (an optimizer's step on a variable)
            original._data = result._data
            if result._tangents:
                original._tangents = result._tangents
        else:
            if isinstance(original._node, _tape.Leaf):
                raise _errors.leaf_inplace(original)
            cell = result._version
            _assign_inplace(original, result, same_buffer=True)
            # The node reads this output through the caller's array from now on: its
            # counter is the one to check.  The input's old values are not read (the
            # output replaces it in saved_tensors), so its check goes.
            node.saved = tuple((p, original._version, original._version[0])
                               if p < 0 and c is cell else (p, c, v)
                               for p, c, v in node.saved if p != j)
            _tape.register_savers(node)
        results[i] = original
    return tuple(results)


# ---------------------------------------------------------------------------
# checkpoint
# ---------------------------------------------------------------------------

def checkpoint(f: Callable) -> Callable:
    """``f`` with its intermediates recomputed during the backward instead of stored.

    As ``torch.utils.checkpoint`` and ``jax.checkpoint``: the forward runs
    without recording, one node saves only the inputs, and its VJP re-runs
    ``f`` with recording and backpropagates through it.  Derivatives of any
    order work (the VJP is itself checkpointed).  Arrays that require a
    gradient must be arguments of ``f``.

    Examples
    --------
    >>> import arrayapi_autograd.numpy as xp
    >>> from arrayapi_autograd import checkpoint, grad
    >>> layer = checkpoint(lambda x: xp.sin(xp.sin(x)))
    >>> grad(lambda x: xp.sum(layer(x)))(xp.asarray([0.0]))
    Array([1.], dtype=float64, backend=numpy)
    """

    @functools.wraps(f)
    def checkpointed(*args, **kwargs):
        if kwargs:
            # keyword arguments travel with the positional ones (arrays among them too)
            def with_keywords(positional, keywords):
                return f(*positional, **keywords)

            with_keywords.__name__ = getattr(f, "__name__", "checkpoint")
            return _checkpoint_apply(with_keywords, (args, kwargs))
        return _checkpoint_apply(f, args)

    return checkpointed


def _checkpoint_apply(fun: Callable, args: tuple):
    call = _Call(args)
    if not call.tracked:
        return fun(*args)
    holder: list = []
    # the recomputation replays the namespace's random generator from here, so a
    # function that draws random numbers sees the same ones (torch.utils.checkpoint)
    generator = call.ns.random
    state = generator._get_state()

    def replay(*inputs):
        current = generator._get_state()
        generator._set_state(state)
        try:
            return fun(*inputs)
        finally:
            generator._set_state(current)

    def forward(*raws, **params):
        with no_grad():
            out = fun(*call.args(call.ns._wrap(r) for r in raws))
        holder.append(_Outputs(getattr(fun, "__name__", "checkpoint"), out))
        return tuple(a._data for a in holder[0].arrays())

    return _run(call, _CHECKPOINT, forward, {"fun": replay, "call": call}, holder)


def _check_no_captured_variables(outputs, leaves, first_seq: int) -> None:
    """Raise if the re-run's outputs depend on arrays requiring a gradient that are not
    arguments (closed over): the checkpoint would silently drop their gradient."""
    stop = {id(leaf._node) for leaf in leaves if leaf._node is not None}
    stack = [o._node for o in outputs if o._node is not None]
    seen = set()
    while stack:
        node = stack.pop()
        if id(node) in stop or id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, _tape.Leaf) or node.seq < first_seq:
            raise _errors.checkpoint_captured_variable()
        stack.extend(edge[0] for edge in node.edges if edge is not None)


def _recompute_vjp(fun: Callable, call: _Call, primals: tuple, cts: tuple) -> tuple:
    """Re-run ``fun`` recording and return the cotangents of the primals.

    When recording is on and the primals or cotangents are in a graph (this
    VJP is being differentiated: the re-run of a higher-order checkpoint), the
    inner backward is recorded and starts from ``+p``, so the result depends
    on the primals; otherwise it starts from fresh leaves (keeping the
    forward-mode tangents, for forward-over-reverse).
    """
    ns = call.ns
    create = _tape.state.recording and any(
        isinstance(a, Array) and a._node is not None for a in primals + tuple(cts))
    with enable_grad():
        leaves = []
        for p in primals:
            if not ns._is_float_dtype(p.dtype):
                leaves.append(p)
            elif create and p._node is not None:
                leaves.append(+p)
            else:
                leaves.append(Array._from_node(p._data, ns, _tape.Leaf("accumulate"), 0,
                                               p._version, p._tangents))
        first_seq = next(_tape._sequence)
        out = _Outputs("checkpoint", fun(*call.args(leaves))).arrays()
        _check_no_captured_variables(out, leaves, first_seq)
        heads = [(o, c) for o, c in zip(out, cts) if o._node is not None]
        targets = [leaf for leaf in leaves if leaf._node is not None]
        found = [None] * len(targets)
        if heads and targets:
            found = _tape.backward([h for h, _ in heads], [c for _, c in heads],
                                   retain_graph=create, create_graph=create, targets=targets,
                                   write_leaves=False)
    found = iter(found)
    return tuple((next(found) if leaf._node is not None else None) for leaf in leaves)


def _checkpoint_vjp(ns, ct, *primals, out, needed, fun, call):
    n = len(primals)

    def vjp_of_fun(*values):
        grads = _recompute_vjp(fun, call, values[:n], values[n:])
        return tuple(g if g is not None else ns.zeros_like(p)
                     for g, p in zip(grads, values[:n]))

    # The VJP is itself checkpointed, so that create_graph=True records one node
    # (again saving only its inputs) and higher derivatives stay cheap.
    grads = _checkpoint_apply(vjp_of_fun, tuple(primals) + tuple(ct))
    return tuple(g if need else None for g, need in zip(grads, needed))


def _checkpoint_jvp(ns, tangents, *primals, out, fun, call):
    with dual_level() as level:
        duals = tuple(make_dual(p, t, level) if t is not None else p
                      for p, t in zip(primals, tangents))
        result = _Outputs("checkpoint", fun(*call.args(duals))).arrays()
        return tuple(unpack_dual(r, level)[1] for r in result)


_CHECKPOINT = _custom_op("checkpoint", _checkpoint_vjp, _checkpoint_jvp)

"""Op records: one record declares an operation and its derivative rules.

A record names the operation as the array API standard does, the dtypes it
accepts in the standard's words, its signature, which of its parameters are
arrays, and its rules.  The forward computation is the backend's function of
the same name unless ``forward`` says otherwise.

Rule conventions (``ns`` is always the differentiable namespace, so that a rule
run with ``create_graph=True`` is itself recorded):

``vjp``
    ``{param: rule}`` with ``rule(ns, ct, *primals, out, **params)`` returning
    the cotangent of that parameter, or one callable
    ``rule(ns, ct, *primals, out, needed, **params)`` returning a tuple with one
    cotangent (or ``None``) per array argument.  Cotangents may have the
    broadcast shape of the output and any float dtype: the tape sums them back
    and casts them.  ``ct`` is a tuple for ops with several outputs.
``jvp``
    ``{param: rule}`` with ``rule(ns, t, *primals, out, **params)`` returning
    that parameter's contribution to the output tangent (they are summed), or
    one callable ``rule(ns, tangents, *primals, out, **params)`` receiving a
    tuple with one tangent (or ``None``) per array argument.

Complex numbers follow PyTorch: the VJP multiplies the cotangent by the
*conjugate* of the local derivative, the JVP by the derivative itself
(see PyTorch's "Autograd for Complex Numbers" note).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping


@dataclass(frozen=True)
class Op:
    """One operation of the namespace and its derivative rules.

    Attributes
    ----------
    name : str
        The standard's name, with the extension as prefix (``"linalg.solve"``).
    dtypes : str
        Accepted dtypes in the standard's words (``"real floating-point"``).
    signature : str
        The parameter list as the standard writes it (``"x, /, *, axis=None"``).
    arrays : tuple of str
        Parameters that may be arrays, in order; they are unwrapped and passed
        positionally to ``forward``.  For ``sequence`` ops the one entry names
        a sequence of arrays.
    forward : callable, optional
        ``forward(xp, *raw_arrays, **params)``; default: the backend's function.
    vjp, jvp : mapping or callable, optional
        The rules (see the module docstring).  ``None`` with ``differentiable``
        true means "not differentiable in any argument" is an error at backward.
    differentiable : bool
        ``False`` for ops never recorded (comparisons, ``argmax``...).
    saves : bool
        The rules read the primal inputs' values, so in-place changes to them
        before the backward must raise.
    uses_out : bool
        The rules read the primal output (``out``); it is saved.
    view : bool or callable
        The backend may return a view of the input: the output shares the
        input's version counter so that mutating either is detected.  A
        callable ``view(params)`` decides per call (``astype(copy=False)``).
    sequence : bool
        The single array parameter is a sequence of arrays (``concat``).
    sparse_cotangents : bool
        For ops with several outputs: the VJP rule receives ``None`` (not
        zeros) for outputs that got no cotangent, so it can skip their terms
        (``eigh`` with only its eigenvalues used has a finite gradient at
        repeated eigenvalues, as in PyTorch).
    reads : mapping, optional
        Per differentiable parameter, the array parameters whose *values* its
        VJP rule reads (``multiply``: ``{"x1": ("x2",), "x2": ("x1",)}``).  A
        node keeps only the inputs that the rules of the inputs needing a
        gradient read (the others stand in by shape, dtype and device), and
        checks only those against in-place changes, as PyTorch saves per
        formula.  ``None`` (with ``saves``): every input is kept.
    batch : callable, optional
        The batching rule (``_batching.py``): how to run the op on a stack of
        arrays at once, as the Jacobian transforms do with their batched
        cotangents and tangents.  ``None``: one call per row of the stack.
    bind : callable, optional
        ``bind(op, ns)`` builds the namespace function itself (for functions
        such as ``asarray`` that need more than unwrap-forward-record), or
        returns ``None`` when the backend lacks it.
    adapt : callable, optional
        ``adapt(forward, ns)`` returns the forward to use instead of the
        backend's (or ``forward``'s) function, applied once at binding: the
        standard's named results (``linalg.eigh`` gives ``eigenvalues`` and
        ``eigenvectors`` on every backend), the container of the version in
        force (``meshgrid``), our message on a backend's error (``linalg.inv``
        of a singular matrix).
    """

    name: str
    dtypes: str = "numeric"
    signature: str = "x, /"
    arrays: tuple = ("x",)
    forward: Callable | None = None
    vjp: Mapping[str, Callable] | Callable | None = None
    jvp: Mapping[str, Callable] | Callable | None = None
    differentiable: bool = True
    saves: bool = True
    uses_out: bool = False
    view: bool | Callable = False
    sequence: bool = False
    bind: Callable | None = None
    sparse_cotangents: bool = False
    reads: Mapping[str, tuple] | None = None
    batch: Callable | None = None
    adapt: Callable | None = None
    doc: str = field(default="", compare=False)

    @property
    def short_name(self) -> str:
        return self.name.rpartition(".")[2]


def conj(ns, a):
    """Complex conjugate of ``a``, skipped for real dtypes (the common case)."""
    if not hasattr(a, "dtype"):
        return a.conjugate()
    if ns._is_complex_dtype(a.dtype):
        return ns.conj(a)
    return a


def _unary_rules(d):
    def vjp(ns, ct, x, out):
        return ct * conj(ns, d(ns, x, out))

    def jvp(ns, t, x, out):
        return t * d(ns, x, out)

    return {"x": vjp}, {"x": jvp}


def _binary_rules(d):
    vjp, jvp = {}, {}
    for param, d_param in d.items():
        def vjp_rule(ns, ct, x1, x2, out, _d=d_param):
            return ct * conj(ns, _d(ns, x1, x2, out))

        def jvp_rule(ns, t, x1, x2, out, _d=d_param):
            return t * _d(ns, x1, x2, out)

        vjp[param] = vjp_rule
        jvp[param] = jvp_rule
    return vjp, jvp


def elementwise(name: str, dtypes: str, d, *, uses_out: bool = False, doc: str = "",
                **kwargs) -> Op:
    """An elementwise op given by its local derivative.

    Parameters
    ----------
    d : callable or dict
        Unary: ``d(ns, x, out)``, the derivative of the output with respect
        to ``x``.  Binary: ``{"x1": d1, "x2": d2}`` with
        ``d_i(ns, x1, x2, out)`` the partial derivatives (a parameter left out
        is not differentiable).  Both the VJP (``ct * conj(d)``) and the JVP
        (``t * d``) follow from it, as in PyTorch's ``auto_element_wise``.
    uses_out : bool
        ``d`` reads ``out`` (e.g. ``exp``), which is then saved.
    """
    if callable(d):
        vjp, jvp = _unary_rules(d)
        signature, arrays = "x, /", ("x",)
    else:
        vjp, jvp = _binary_rules(d)
        signature, arrays = "x1, x2, /", ("x1", "x2")
    kwargs.setdefault("signature", signature)
    kwargs.setdefault("arrays", arrays)
    return Op(name, dtypes, vjp=vjp, jvp=jvp, uses_out=uses_out, doc=doc, **kwargs)


def zero_derivative(name: str, dtypes: str, *, binary: bool = False, doc: str = "",
                    **kwargs) -> Op:
    """A piecewise-constant op (``floor``, ``sign``...): zero gradient, as in PyTorch."""

    def vjp(ns, ct, *primals, out, needed, **params):
        return tuple(ns.zeros_like(ct) if n else None for n in needed)

    def jvp(ns, tangents, *primals, out, **params):
        return ns.zeros_like(out)

    arrays = ("x1", "x2") if binary else ("x",)
    kwargs.setdefault("signature", "x1, x2, /" if binary else "x, /")
    return Op(name, dtypes, arrays=arrays, vjp=vjp, jvp=jvp, saves=False, uses_out=True,
              doc=doc, **kwargs)


def linear(name: str, dtypes: str, vjp, *, signature: str = "x, /",
           arrays: tuple = ("x",), doc: str = "", **kwargs) -> Op:
    """An op linear in its array arguments jointly (``sum``, ``reshape``, ``concat``...).

    Only the VJP (the transpose) is written; the JVP is the op itself applied
    to the tangents, with zeros for arguments that have none.
    """
    signature_parameters = parameters(signature)
    positional_only = [p.name for p in signature_parameters if p.name not in arrays
                       and p.kind is inspect.Parameter.POSITIONAL_ONLY]
    # a sequence parameter written as *arrays is passed unpacked, a list parameter as one
    unpack = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in signature_parameters)

    def jvp(ns, tangents, *primals, out, **params):
        function = ns._function(name)
        filled = tuple(t if t is not None else ns.zeros_like(p)
                       for t, p in zip(tangents, primals))
        leading = tuple(params[n] for n in positional_only)
        keywords = {k: v for k, v in params.items() if k not in positional_only}
        if kwargs.get("sequence") and not unpack:
            return function(list(filled), *leading, **keywords)
        return function(*filled, *leading, **keywords)

    return Op(name, dtypes, signature=signature, arrays=arrays, vjp=vjp, jvp=jvp,
              saves=False, doc=doc, **kwargs)


def nondifferentiable(name: str, dtypes: str = "numeric", *, signature: str = "x, /",
                      arrays: tuple = ("x",), doc: str = "", **kwargs) -> Op:
    """An op whose outputs carry no derivative: never recorded (comparisons, ``argmax``)."""
    return Op(name, dtypes, signature=signature, arrays=arrays, differentiable=False,
              saves=False, doc=doc, **kwargs)


def creation(name: str, signature: str, *, arrays: tuple = (), doc: str = "", **kwargs) -> Op:
    """A creation function: makes a new array, nothing to differentiate."""
    return Op(name, "any", signature=signature, arrays=arrays, differentiable=False,
              saves=False, doc=doc, **kwargs)


# ---------------------------------------------------------------------------
# Binding a record to a namespace: a real Python function with the standard's
# signature, so that positional-only and keyword-only parameters are enforced
# exactly as the standard writes them.
# ---------------------------------------------------------------------------

_TEMPLATE = """\
def {name}({signature}):
    return _call(_op, _forward, _ns, {primals}, {params})
"""


def parameters(signature: str) -> list[inspect.Parameter]:
    """The parameters of a signature string, parsed by Python itself."""
    scope: dict[str, Any] = {}
    exec(f"def _f({signature}): pass", {}, scope)
    return list(inspect.signature(scope["_f"]).parameters.values())


def make_function(op: Op, forward: Callable, ns, call: Callable) -> Callable:
    """Build ``ns.<name>`` for ``op``: unwraps, calls ``forward``, records.

    Parameters
    ----------
    op : Op
    forward : callable
        The forward bound to the backend: ``forward(*raw_arrays, **params)``.
    ns : Namespace
    call : callable
        The dispatcher ``call(op, forward, ns, primals, params)``.
    """
    params = parameters(op.signature)
    names = [p.name for p in params]
    for a in op.arrays:
        if a not in names:
            raise ValueError(f"{op.name}: array parameter {a!r} not in signature {op.signature!r}")
    if op.sequence:
        (seq,) = op.arrays
        primals = f"tuple({seq})"
    else:
        primals = "(" + "".join(f"{a}, " for a in op.arrays) + ")"
    others = [p.name for p in params if p.name not in op.arrays]
    positional_only = [p.name for p in params if p.name not in op.arrays
                       and p.kind is inspect.Parameter.POSITIONAL_ONLY]
    if positional_only:
        forward = _positional_adapter(forward, positional_only)
    params_src = "{" + ", ".join(f"{n!r}: {n}" for n in others) + "}"
    short = op.short_name
    source = _TEMPLATE.format(name=short, signature=op.signature, primals=primals,
                              params=params_src)
    scope = {"_call": call, "_op": op, "_forward": forward, "_ns": ns}
    exec(compile(source, f"<arrayapi_autograd {op.name}>", "exec"), scope)
    function = scope[short]
    function.__qualname__ = short
    function.__module__ = ns.__name__
    function.__doc__ = op.doc or f"{op.name} (array API standard), differentiable."
    return function


def _positional_adapter(forward: Callable, names: list[str]) -> Callable:
    """Pass the positional-only non-array parameters positionally, after the arrays."""

    def adapted(*raws, **params):
        keywords = {k: v for k, v in params.items() if k not in names}
        return forward(*raws, *(params[n] for n in names), **keywords)

    return adapted

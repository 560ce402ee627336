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

import functools
import inspect
import textwrap
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
    reads : None, tuple or mapping
        What the VJP rules read, the one declaration from which a node's
        storage follows (PyTorch saves per formula).  ``None``: every array
        parameter (not the output).  A tuple: the names every rule reads
        (``()`` for linear ops, ``("out",)`` for ``exp``).  A mapping: per
        differentiable parameter, the names its rule reads (``multiply``:
        ``{"x1": ("x2",), "x2": ("x1",)}``).  ``"out"`` means the primal
        output, which is then saved.  A node keeps only the inputs that the
        rules of the inputs needing a gradient read (the others stand in by
        shape and dtype), and checks only those against in-place changes.
    user_rules : bool
        The rules call user code (custom rules), which computes with wrapped
        arrays: a backward that records nothing still runs them wrapped.
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
    summary, rule, source, doc : str
        Text only, for the generated docstring (:func:`docstring`): the
        standard's summary line in our words, the derivative rule in words or
        a formula, where the rule comes from (default: PyTorch's
        ``derivatives.yaml`` and ``FunctionsManual.cpp``), and notes on the
        conventions at kinks and ties.
    """

    name: str
    dtypes: str = "numeric"
    signature: str = "x, /"
    arrays: tuple = ("x",)
    forward: Callable | None = None
    vjp: Mapping[str, Callable] | Callable | None = None
    jvp: Mapping[str, Callable] | Callable | None = None
    differentiable: bool = True
    view: bool | Callable = False
    sequence: bool = False
    bind: Callable | None = None
    sparse_cotangents: bool = False
    reads: Mapping[str, tuple] | tuple | None = None
    batch: Callable | None = None
    user_rules: bool = False
    adapt: Callable | None = None
    doc: str = field(default="", compare=False)
    summary: str = field(default="", compare=False)
    rule: str = field(default="", compare=False)
    source: str = field(default="", compare=False)
    # per mask of the inputs needing a gradient, what a node keeps (``_tape.kept_inputs``)
    kept: dict = field(default_factory=dict, init=False, compare=False, repr=False)
    # the tape's VJP generated for this op, made on first use (``_tape.compiled_vjp``)
    runner: tuple | None = field(default=None, init=False, compare=False, repr=False)

    @property
    def short_name(self) -> str:
        return self.name.rpartition(".")[2]

    def reads_of(self, param: str) -> tuple:
        """The names (array parameters, ``"out"``) that ``param``'s VJP rule reads."""
        reads = self.reads
        if reads is None:
            return self.arrays
        if isinstance(reads, tuple):
            return reads
        return reads.get(param, self.arrays)

    @functools.cached_property
    def reads_out(self) -> bool:
        """Whether a VJP rule reads the primal output (then nodes save it)."""
        reads = self.reads
        if reads is None:
            return False
        if isinstance(reads, tuple):
            return "out" in reads
        return any("out" in names for names in reads.values())


def conj(ns, a):
    """Complex conjugate of ``a``, skipped for real dtypes (the common case)."""
    try:
        dtype = a.dtype
    except AttributeError:  # a Python scalar
        return a.conjugate()
    is_complex = ns._complex_cache.get(dtype)
    if is_complex is None:
        is_complex = ns._is_complex_dtype(dtype)
    return ns.conj(a) if is_complex else a


def _unary_rules(d):
    def vjp(ns, ct, x, out):
        return ct * conj(ns, d(ns, x, out))

    def jvp(ns, t, x, out):
        return t * d(ns, x, out)

    vjp.local_derivative = d  # the tape's generated VJP calls d itself (one call less)
    return {"x": vjp}, {"x": jvp}


def at_precision(ns, a, ct):
    """``a``, a floating array whose dtype is narrower than the cotangent ``ct``'s (a
    float32 operand of a float64 op), cast to the dtype the two promote to; anything
    else as it is.

    A local derivative computed from such an operand alone (``1 / x2``) would have the
    operand's precision; PyTorch's formulas (``grad / other``) compute at the output's.
    """
    dtype = getattr(a, "dtype", None)
    if dtype is None or dtype is ct.dtype or dtype == ct.dtype or not ns._is_float_dtype(dtype):
        return a
    target = ns.result_type(dtype, ct.dtype)
    return a if target == dtype else ns.astype(a, target)


def _binary_rules(d, reads):
    vjp, jvp = {}, {}
    for param, d_param in d.items():
        # the arrays this rule reads: kept by the node, so arrays (or constants) here
        read = reads.get(param, ()) if isinstance(reads, Mapping) else \
            (("x1", "x2") if reads is None else reads)

        def vjp_rule(ns, ct, x1, x2, out, _d=d_param, _read1="x1" in read,
                     _read2="x2" in read):
            if _read1:
                x1 = at_precision(ns, x1, ct)
            if _read2:
                x2 = at_precision(ns, x2, ct)
            return ct * conj(ns, _d(ns, x1, x2, out))

        def jvp_rule(ns, t, x1, x2, out, _d=d_param):
            return t * _d(ns, x1, x2, out)

        vjp[param] = vjp_rule
        jvp[param] = jvp_rule
    return vjp, jvp


def elementwise(name: str, dtypes: str, d, *, doc: str = "", **kwargs) -> Op:
    """An elementwise op given by its local derivative.

    Parameters
    ----------
    d : callable or dict
        Unary: ``d(ns, x, out)``, the derivative of the output with respect
        to ``x``.  Binary: ``{"x1": d1, "x2": d2}`` with
        ``d_i(ns, x1, x2, out)`` the partial derivatives (a parameter left out
        is not differentiable).  Both the VJP (``ct * conj(d)``) and the JVP
        (``t * d``) follow from it, as in PyTorch's ``auto_element_wise``.
    reads : optional
        What ``d`` reads (see :class:`Op`); default: the array arguments.
    """
    if callable(d):
        vjp, jvp = _unary_rules(d)
        signature, arrays = "x, /", ("x",)
    else:
        vjp, jvp = _binary_rules(d, kwargs.get("reads"))
        signature, arrays = "x1, x2, /", ("x1", "x2")
    kwargs.setdefault("signature", signature)
    kwargs.setdefault("arrays", arrays)
    if kwargs.get("rule"):  # the text names d; the VJP and the JVP follow from it
        kwargs["rule"] = (f"Local derivative: {kwargs['rule']}.  The VJP is ``ct * conj(d)``, "
                          "the JVP ``t * d`` (PyTorch's ``auto_element_wise``).")
    return Op(name, dtypes, vjp=vjp, jvp=jvp, doc=doc, **kwargs)


def zero_derivative(name: str, dtypes: str, *, binary: bool = False, doc: str = "",
                    **kwargs) -> Op:
    """A piecewise-constant op (``floor``, ``sign``...): zero gradient, as in PyTorch."""

    def vjp(ns, ct, *primals, out, needed, **params):
        return tuple(ns.zeros_like(ct) if n else None for n in needed)

    def jvp(ns, tangents, *primals, out, **params):
        return ns.zeros_like(out)

    arrays = ("x1", "x2") if binary else ("x",)
    kwargs.setdefault("signature", "x1, x2, /" if binary else "x, /")
    kwargs.setdefault("rule", "Piecewise constant: the VJP and the JVP are exact zeros (never "
                              "``ct * 0``, which is NaN for a NaN cotangent), as in PyTorch.")
    return Op(name, dtypes, arrays=arrays, vjp=vjp, jvp=jvp, reads=(), doc=doc, **kwargs)


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

    if kwargs.get("rule"):  # the text says what the transpose does
        kwargs["rule"] = ("Linear: the JVP is the function applied to the tangent; the VJP, "
                          f"its transpose, {kwargs['rule']}.")
    return Op(name, dtypes, signature=signature, arrays=arrays, vjp=vjp, jvp=jvp,
              reads=(), doc=doc, **kwargs)


def bilinear(name: str, dtypes: str, vjp, *, signature: str = "x1, x2, /", doc: str = "",
             **kwargs) -> Op:
    """An op linear in each of its two arrays (``multiply``, ``matmul``, ``tensordot``...).

    Only the VJP (the transposes) is written.  Each rule reads the other
    operand only, and the JVP is the op itself applied to one tangent and
    the other primal: ``f(t1, x2) + f(x1, t2)`` (the product rule).
    """

    def jvp(ns, tangents, x1, x2, out, **params):
        function = ns._function(name)
        t1, t2 = tangents
        total = None if t1 is None else function(t1, x2, **params)
        if t2 is not None:
            term = function(x1, t2, **params)
            total = term if total is None else total + term
        return total

    if kwargs.get("rule"):  # the text gives the transposes
        kwargs["rule"] = ("Bilinear: the JVP is the product rule ``f(t1, x2) + f(x1, t2)``; "
                          f"the VJPs are the transposes, {kwargs['rule']}.")
    return Op(name, dtypes, signature=signature, arrays=("x1", "x2"), vjp=vjp, jvp=jvp,
              reads={"x1": ("x2",), "x2": ("x1",)}, doc=doc, **kwargs)


def nondifferentiable(name: str, dtypes: str = "numeric", *, signature: str = "x, /",
                      arrays: tuple = ("x",), doc: str = "", **kwargs) -> Op:
    """An op whose outputs carry no derivative: never recorded (comparisons, ``argmax``)."""
    return Op(name, dtypes, signature=signature, arrays=arrays, differentiable=False,
              reads=(), doc=doc, **kwargs)


def nondifferentiable_binary(name: str, dtypes: str, *, doc: str = "", **kwargs) -> Op:
    """A binary op whose output carries no derivative: comparisons, logical, bitwise."""
    return nondifferentiable(name, dtypes, signature="x1, x2, /", arrays=("x1", "x2"),
                             doc=doc, **kwargs)


def creation(name: str, signature: str, *, arrays: tuple = (), doc: str = "", **kwargs) -> Op:
    """A creation function: makes a new array, nothing to differentiate."""
    return Op(name, "any", signature=signature, arrays=arrays, differentiable=False,
              reads=(), doc=doc, **kwargs)


# ---------------------------------------------------------------------------
# Binding a record to a namespace: a real Python function with the standard's
# signature, so that positional-only and keyword-only parameters are enforced
# exactly as the standard writes them.
# ---------------------------------------------------------------------------

_EMPTY: dict = {}


def generated(source: str, name: str, scope: dict, label: str, module: str,
              doc: str | None = None) -> Callable:
    """The function ``name`` that ``source`` defines, with ``scope`` as its globals.

    Every function the package writes as text (namespace functions, operators,
    generated VJPs) is made here: tracebacks show ``<arrayapi_autograd
    {label}>`` as its file, and it reports ``module`` as its module.
    """
    exec(compile(source, f"<arrayapi_autograd {label}>", "exec"), scope)
    function = scope[name]
    function.__qualname__ = name
    function.__module__ = module
    if doc is not None:
        function.__doc__ = doc
    return function


def parameters(signature: str) -> list[inspect.Parameter]:
    """The parameters of a signature string, parsed by Python itself."""
    scope: dict[str, Any] = {}
    exec(f"def _f({signature}): pass", {}, scope)
    return list(inspect.signature(scope["_f"]).parameters.values())


def make_function(op: Op, forward: Callable, ns, call: Callable,
                  bodies: Mapping[int, Callable], scope: Mapping[str, Any]) -> Callable:
    """Build ``ns.<name>`` for ``op``: unwraps, calls ``forward``, records.

    Parameters
    ----------
    op : Op
    forward : callable
        The forward bound to the backend: ``forward(*raw_arrays, **params)``.
    ns : Namespace
    call : callable
        The dispatcher of any op: ``call(op, forward, ns, primals, params)``.
    bodies : mapping
        For ops with one or two array parameters (not views), the function's body:
        the dispatcher's hot path as source text (one frame per call).
        ``bodies[1](op, x, params)`` and ``bodies[2](op, x1, x2, params)``
        return it, given the names of the array parameters and the source of
        the dict of the other parameters.
    scope : mapping
        The names the bodies use, besides ``_op``, ``_forward`` and ``_ns``.
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
    # no parameters: one shared empty dict (never mutated), not a new one per call
    params_src = "{" + ", ".join(f"{n!r}: {n}" for n in others) + "}" if others else "_EMPTY"
    short = op.short_name
    arity = 0 if op.sequence or op.view or len(op.arrays) not in (1, 2) else len(op.arrays)
    if arity == 1:
        body = bodies[1](op, op.arrays[0], params_src)
    elif arity == 2:
        body = bodies[2](op, op.arrays[0], op.arrays[1], params_src)
    else:
        body = f"    return _call(_op, _forward, _ns, {primals}, {params_src})\n"
    source = f"def {short}({op.signature}):\n{body}"
    namespace = {**scope, "_call": call, "_op": op, "_forward": forward, "_ns": ns,
                 "_EMPTY": _EMPTY}
    return generated(source, short, namespace, op.name, ns.__name__, docstring(op))


# the standard's page per function; the extensions (linalg, fft) have their own folder
SPEC_PAGE = "https://data-apis.org/array-api/latest/{}/generated/array_api.{}.html"
DEFAULT_SOURCE = "PyTorch's ``tools/autograd/derivatives.yaml`` and ``FunctionsManual.cpp``"


def differentiable_arguments(op: Op) -> tuple[str, ...] | None:
    """The array parameters ``op`` has a VJP rule for; ``None`` if it is never recorded."""
    if not op.differentiable:
        return None
    if isinstance(op.vjp, Mapping):
        return tuple(op.vjp)
    return tuple(op.arrays) if callable(op.vjp) else ()


def spec_page(op: Op) -> str:
    """The standard's page of ``op`` (``linalg.`` and ``fft.`` included); ``""`` if private."""
    if op.short_name.startswith("_") and not op.short_name.startswith("__"):
        return ""
    folder = "extensions" if "." in op.name else "API_specification"
    return SPEC_PAGE.format(folder, ("array." if op.name.startswith("__") else "") + op.name)


def _words(names) -> str:
    quoted = [f"``{n}``" for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _fill(text: str) -> str:
    return textwrap.fill(text, 79, break_long_words=False, break_on_hyphens=False)


# per record (by identity; records are unhashable): every namespace binds the same text
_DOCSTRINGS: dict[int, tuple[Op, str]] = {}


def docstring(op: Op) -> str:
    """The numpydoc docstring of the function bound from ``op``, assembled from its text.

    A summary line, the standard's page, short Parameters and Returns, and a
    "Differentiation" section: the differentiable arguments, the rule, its
    source, the notes on conventions and the accepted dtypes.
    """
    cached = _DOCSTRINGS.get(id(op))
    if cached is not None and cached[0] is op:
        return cached[1]
    text = _assemble(op)
    _DOCSTRINGS[id(op)] = (op, text)
    return text


def _assemble(op: Op) -> str:
    summary = op.summary or f"``{op.name}``, as the array API standard defines it."
    lines = [summary, ""]
    page = spec_page(op)
    if page:
        lines += [f"Array API standard: {page}", ""]
    differentiable = differentiable_arguments(op)
    lines += ["Parameters", "----------"]
    for p in parameters(op.signature):
        name = ("*" if p.kind is inspect.Parameter.VAR_POSITIONAL else "") + p.name
        if p.name in op.arrays:
            kind = "sequence of arrays" if op.sequence else "array"
            role = "Differentiable." if differentiable and p.name in differentiable else \
                "No gradient flows to it."
            lines += [f"{name} : {kind}", f"    {role}"]
        else:
            default = "" if p.default is inspect.Parameter.empty else \
                f", default {p.default!r}"
            lines += [f"{name} : optional{default}" if default else name,
                      "    As in the standard."]
    lines += ["", "Returns", "-------", "out",
              "    As in the standard." + (" Carries the history of the differentiable inputs."
                                           if differentiable else ""), ""]
    lines += ["Differentiation", "---------------"]
    if differentiable is None:
        lines.append("Not differentiable (never recorded).")
    elif not differentiable:
        lines.append(_fill("Not differentiable: recorded without a rule, so a backward or a "
                           "JVP through it raises an error (use ``stop_gradient`` on its "
                           "output)."))
    else:
        lines.append(f"Differentiable in {_words(differentiable)}, in reverse and "
                     "forward mode.")
    if differentiable is not None and op.rule:
        lines += ["", _fill(op.rule)]
    if differentiable:
        lines += ["", _fill(f"Source: {op.source or DEFAULT_SOURCE}.")]
    if op.doc:
        lines += ["", _fill(op.doc)]
    lines += ["", f"Accepted dtypes: {op.dtypes} (in the standard's words)."]
    return "\n".join(lines) + "\n"


_RAW_TEMPLATE = """\
def {name}({signature}):
    return _forward(*{primals}, **{params})
"""


def make_raw_function(op: Op, forward: Callable, module: str) -> Callable:
    """``ns._raw.<name>`` for ``op``: ``forward`` on backend arrays, nothing recorded.

    The standard's signature, as :func:`make_function` builds it; the backend's
    own function when the record has no forward of its own.
    """
    params = parameters(op.signature)
    positional_only = [p.name for p in params if p.name not in op.arrays
                       and p.kind is inspect.Parameter.POSITIONAL_ONLY]
    if op.forward is None and not positional_only:
        return forward
    if positional_only:
        forward = _positional_adapter(forward, positional_only)
    primals = f"tuple({op.arrays[0]})" if op.sequence else \
        "(" + "".join(f"{a}, " for a in op.arrays) + ")"
    others = [p.name for p in params if p.name not in op.arrays]
    params_src = "{" + ", ".join(f"{n!r}: {n}" for n in others) + "}"
    short = op.short_name
    source = _RAW_TEMPLATE.format(name=short, signature=op.signature, primals=primals,
                                  params=params_src)
    return generated(source, short, {"_forward": forward}, f"raw {op.name}", module)


def _positional_adapter(forward: Callable, names: list[str]) -> Callable:
    """Pass the positional-only non-array parameters positionally, after the arrays."""

    def adapted(*raws, **params):
        keywords = {k: v for k, v in params.items() if k not in names}
        return forward(*raws, *(params[n] for n in names), **keywords)

    return adapted

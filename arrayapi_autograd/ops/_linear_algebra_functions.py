"""Linear algebra functions of the main namespace, each with its derivative.

Spec section: "Linear Algebra Functions",
https://data-apis.org/array-api/latest/API_specification/linear_algebra_functions.html

``matmul``, ``tensordot`` and ``vecdot`` are bilinear; their VJPs are the
usual transposes (for complex inputs with conjugates, as PyTorch's ``matmul``
and ``linalg_vecdot`` backward formulas).  ``vecdot`` conjugates ``x1``, as the
standard defines it: ``sum(conj(x1) * x2, axis)``.  ``tensordot``'s VJP
contracts the cotangent with the other operand over the free axes and permutes
the result back to the operand's axis order (JAX's ``_dot_general_transpose_lhs``
/ ``_rhs`` in ``lax.py``; PyTorch's ``tensordot`` is differentiated through
its ``reshape``/``mm`` decomposition, with the same result).
"""

from __future__ import annotations

from .. import _batching
from .._op import Op, bilinear, conj, linear


def _matrix_cotangent(ns, ct, x1, x2):
    """A matmul's cotangent with the axes of promoted 1-D operands restored."""
    if x1.ndim == 1:
        ct = ns.expand_dims(ct, axis=-1 if x2.ndim == 1 else -2)
    if x2.ndim == 1:
        ct = ns.expand_dims(ct, axis=-1)
    return ct


# each rule reads only the other operand's value (Op.reads): shapes of its own.  The
# products are ns.matmul, not ``@``: on backend arrays (a backward that records nothing)
# torch's ``@`` refuses the mixed float dtypes that matmul promotes
def _matmul_vjp_x1(ns, ct, x1, x2, out):
    b = x2 if x2.ndim >= 2 else ns.reshape(x2, (x2.shape[0], 1))
    g = ns.matmul(_matrix_cotangent(ns, ct, x1, x2), ns.matrix_transpose(conj(ns, b)))
    return g[..., 0, :] if x1.ndim == 1 else g


def _matmul_vjp_x2(ns, ct, x1, x2, out):
    a = x1 if x1.ndim >= 2 else ns.reshape(x1, (1, x1.shape[0]))
    g = ns.matmul(ns.matrix_transpose(conj(ns, a)), _matrix_cotangent(ns, ct, x1, x2))
    return g[..., :, 0] if x2.ndim == 1 else g


def _vecdot_vjp_x1(ns, ct, x1, x2, out, axis):
    # d/dx1 of sum(conj(x1) * x2): conj(ct) * x2
    return conj(ns, ns.expand_dims(ct, axis=axis)) * x2


def _vecdot_vjp_x2(ns, ct, x1, x2, out, axis):
    return ns.expand_dims(ct, axis=axis) * x1


def _tensordot_axes(axes, ndim1, ndim2):
    """``axes`` as two lists of non-negative contracted axes of x1 and x2."""
    if isinstance(axes, int):
        return list(range(ndim1 - axes, ndim1)), list(range(axes))
    a1, a2 = axes
    if isinstance(a1, int):  # a single axis per operand
        a1, a2 = [a1], [a2]
    return [a % ndim1 for a in a1], [a % ndim2 for a in a2]


def _tensordot_vjp(ns, ct, x1, x2, out, needed, axes):
    # out's axes are x1's free axes f1 then x2's free axes f2.  The cotangent of
    # x1 is ct contracted with conj(x2) over f2: its axes are f1 followed by x2's
    # contracted axes in x2's order, i.e. the matching x1 axes; permuted back.
    a1, a2 = _tensordot_axes(axes, x1.ndim, x2.ndim)
    f1 = [d for d in range(x1.ndim) if d not in a1]
    f2 = [d for d in range(x2.ndim) if d not in a2]
    ct_f1 = list(range(len(f1)))
    ct_f2 = list(range(len(f1), len(f1) + len(f2)))
    g1 = g2 = None
    if needed[0]:
        g1 = ns.tensordot(ct, conj(ns, x2), axes=(ct_f2, f2))
        labels = f1 + [a1[a2.index(d)] for d in sorted(a2)]
        g1 = _permute_to(ns, g1, labels)
    if needed[1]:
        g2 = ns.tensordot(conj(ns, x1), ct, axes=(f1, ct_f1))
        labels = [a2[a1.index(d)] for d in sorted(a1)] + f2
        g2 = _permute_to(ns, g2, labels)
    return g1, g2


def _permute_to(ns, g, labels):
    """Reorder the axes of ``g``, whose axis i is the operand's axis ``labels[i]``."""
    order = tuple(labels.index(d) for d in range(len(labels)))
    if order == tuple(range(len(labels))):
        return g
    return ns.permute_dims(g, order)


# -- batching rules (how the op runs on a stack of rows; see _batching.py) -----------------

def _as_matrix(ctx, p, batched, side):
    """A matmul operand in matrix form: ``(value, logical matrix shape, squeezed axis)``."""
    ns = ctx.ns
    shape = tuple(p.shape[1:]) if batched else tuple(p.shape)
    if len(shape) == 1:
        if side == 0:
            new = shape[:-1] + (1,) + shape[-1:]
            squeeze = -2
        else:
            new = shape + (1,)
            squeeze = -1
        p = ns.reshape(p, ((ctx.size,) if batched else ()) + new)
        return p, new, squeeze
    return p, shape, None


def _batch_matmul(ctx, primals, params):
    """``x1 @ x2`` with either or both batched: vectors as matrices, stacks aligned.

    The common cases of a Jacobian are one matrix product for all rows: batched
    rows times one matrix (``x1`` batched, ``x2`` a matrix: the rows stacked into
    one matrix), and one matrix times batched vectors (``rows @ x1^T``), instead
    of a stack of matrix-vector products.
    """
    ns = ctx.ns
    a, b = primals
    batched_a, batched_b = ctx.batched
    if batched_a and not batched_b and b.ndim == 2:
        shape = tuple(a.shape)
        rows = 1
        for n in shape[:-1]:
            rows *= n
        out = ctx.call([ns.reshape(a, (rows, shape[-1])), b], params)
        return ctx.wrap(ns.reshape(out, shape[:-1] + (tuple(b.shape)[-1],)))
    if batched_b and not batched_a and a.ndim == 2 and b.ndim == 2:
        return ctx.wrap(ctx.call([b, ns.matrix_transpose(a)], params))
    if batched_b and not batched_a and a.ndim == 2 and b.ndim == 3:
        # one matrix times batched matrices: their columns side by side, one product
        size, m, k = tuple(b.shape)
        columns = ns.reshape(ns.permute_dims(b, (1, 0, 2)), (m, size * k))
        out = ns.reshape(ctx.call([a, columns], params), (tuple(a.shape)[0], size, k))
        return ctx.wrap(ns.permute_dims(out, (1, 0, 2)))
    (a, sa, qa), (b, sb, qb) = (_as_matrix(ctx, p, f, i) for i, (p, f)
                                in enumerate(zip(primals, ctx.batched)))
    rank = max(len(sa), len(sb))
    a = ctx.pad(a, rank) if ctx.batched[0] else a
    b = ctx.pad(b, rank) if ctx.batched[1] else b
    out = ctx.call([a, b], params)
    for q in (qa, qb):
        if q is not None:
            shape = tuple(out.shape)
            axis = len(shape) + q
            out = ns.reshape(out, shape[:axis] + shape[axis + 1:])
    return ctx.wrap(out)


def _batch_tensordot(ctx, primals, params):
    """``tensordot``: contracted axes made explicit and shifted for the batched operand."""
    if all(ctx.batched):
        return _batching.loop(ctx, primals, params)
    ns = ctx.ns
    a, b = primals
    na, nb = ctx.ndim(a, ctx.batched[0]), ctx.ndim(b, ctx.batched[1])
    spec = params["axes"]
    if isinstance(spec, int):
        axes_a, axes_b = tuple(range(na - spec, na)), tuple(range(spec))
    else:
        axes_a, axes_b = (tuple(s) if isinstance(s, (tuple, list)) else (s,) for s in spec)
        axes_a = tuple(x % na for x in axes_a)
        axes_b = tuple(x % nb for x in axes_b)
    if ctx.batched[0]:
        axes_a = tuple(x + 1 for x in axes_a)
    else:
        axes_b = tuple(x + 1 for x in axes_b)
    out = ctx.call([a, b], {**params, "axes": (axes_a, axes_b)})
    if ctx.batched[1]:
        out = ns.moveaxis(out, na - len(axes_a), 0)
    return ctx.wrap(out)


LINEAR_ALGEBRA_OPS: tuple[Op, ...] = (
    bilinear("matmul", "numeric", batch=_batch_matmul,
             vjp={"x1": _matmul_vjp_x1, "x2": _matmul_vjp_x2},
             summary=("The matrix product of ``x1`` and ``x2`` (with the standard's rules for "
                      "one-dimensional and stacked operands)."),
             rule=("``ct @ conj(x2)^T`` for ``x1`` and ``conj(x1)^T @ ct`` for ``x2``, summed "
                   "back to broadcast shapes"),
             source="PyTorch's ``matmul`` backward"),
    bilinear("vecdot", "numeric", batch=_batching.broadcast_axis,
             signature="x1, x2, /, *, axis=-1",
             vjp={"x1": _vecdot_vjp_x1, "x2": _vecdot_vjp_x2},
             summary="The dot product ``sum(conj(x1) * x2)`` of vectors along ``axis``.",
             rule=("``x2 * conj(ct)`` for ``x1`` and ``x1 * ct`` for ``x2``, broadcast along "
                   "``axis``"),
             source="PyTorch's ``linalg_vecdot`` backward"),
    bilinear("tensordot", "numeric", batch=_batch_tensordot,
             signature="x1, x2, /, *, axes=2", vjp=_tensordot_vjp,
             summary="The tensor contraction of ``x1`` and ``x2`` over the given axes.",
             rule=("the cotangent contracted with the conjugated other operand over the free "
                   "axes, permuted back to the operand's axis order"),
             source="JAX's ``_dot_general_transpose_lhs``/``_rhs`` in ``lax.py``"),
    linear("matrix_transpose", "any", batch=_batching.elementwise, view=True,
           vjp={"x": lambda ns, ct, x, out: ns.matrix_transpose(ct)},
           summary=("The transpose of a matrix (or a stack of matrices): the last two axes "
                    "swapped."),
           rule="transposes the cotangent back"),
)

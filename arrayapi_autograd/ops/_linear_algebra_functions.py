"""Linear algebra functions of the main namespace, each with its derivative.

Spec section: "Linear Algebra Functions",
https://data-apis.org/array-api/latest/API_specification/linear_algebra_functions.html

``matmul`` and ``vecdot`` are bilinear; their VJPs are the usual transposes
(for complex inputs with conjugates, as PyTorch's ``matmul`` and
``linalg_vecdot`` backward formulas).  ``vecdot`` conjugates ``x1``, as the
standard defines it: ``sum(conj(x1) * x2, axis)``.
"""

from __future__ import annotations

from .._op import Op, conj, linear


def _as_matrices(ns, ct, x1, x2):
    """Matrix views of a matmul's operands and cotangent (1-D operands promoted)."""
    a = x1 if x1.ndim >= 2 else ns.reshape(x1, (1, x1.shape[0]))
    b = x2 if x2.ndim >= 2 else ns.reshape(x2, (x2.shape[0], 1))
    if x1.ndim == 1:
        ct = ns.expand_dims(ct, axis=-1 if x2.ndim == 1 else -2)
    if x2.ndim == 1:
        ct = ns.expand_dims(ct, axis=-1)
    return a, b, ct


def _matmul_vjp_x1(ns, ct, x1, x2, out):
    a, b, ct = _as_matrices(ns, ct, x1, x2)
    g = ct @ ns.matrix_transpose(conj(ns, b))
    return g[..., 0, :] if x1.ndim == 1 else g


def _matmul_vjp_x2(ns, ct, x1, x2, out):
    a, b, ct = _as_matrices(ns, ct, x1, x2)
    g = ns.matrix_transpose(conj(ns, a)) @ ct
    return g[..., :, 0] if x2.ndim == 1 else g


def _vecdot_vjp_x1(ns, ct, x1, x2, out, axis):
    # d/dx1 of sum(conj(x1) * x2): conj(ct) * x2
    return conj(ns, ns.expand_dims(ct, axis=axis)) * x2


def _vecdot_vjp_x2(ns, ct, x1, x2, out, axis):
    return ns.expand_dims(ct, axis=axis) * x1


LINEAR_ALGEBRA_OPS: tuple[Op, ...] = (
    Op("matmul", "numeric", signature="x1, x2, /", arrays=("x1", "x2"),
       vjp={"x1": _matmul_vjp_x1, "x2": _matmul_vjp_x2},
       jvp={"x1": lambda ns, t, x1, x2, out: t @ x2,
            "x2": lambda ns, t, x1, x2, out: x1 @ t}),
    Op("vecdot", "numeric", signature="x1, x2, /, *, axis=-1", arrays=("x1", "x2"),
       vjp={"x1": _vecdot_vjp_x1, "x2": _vecdot_vjp_x2},
       jvp={"x1": lambda ns, t, x1, x2, out, axis: ns.vecdot(t, x2, axis=axis),
            "x2": lambda ns, t, x1, x2, out, axis: ns.vecdot(x1, t, axis=axis)}),
    linear("matrix_transpose", "any", view=True,
           vjp={"x": lambda ns, ct, x, out: ns.matrix_transpose(ct)}),
)
